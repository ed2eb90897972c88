/**
 * The typed messages between the pool and a worker thread. Every request carries an id; the worker
 * answers each with exactly one reply of the same id.
 */
import type { Key } from "../../engine/operators/key-by.js";
import type { MapResult, MapTask, ReduceResult, ReduceTask, StateLookup } from "../../engine/task-runner.js";

export type WorkerRequest =
  | { readonly id: number; readonly type: "deploy"; readonly jobId: string; readonly definition: Record<string, unknown>; readonly partitions: number }
  | { readonly id: number; readonly type: "undeploy"; readonly jobId: string }
  /** `abandon`: a shared flag the pool sets to 1 once the task's result is no longer wanted. */
  | { readonly id: number; readonly type: "map"; readonly task: MapTask; readonly abandon?: SharedArrayBuffer }
  | { readonly id: number; readonly type: "reduce"; readonly task: ReduceTask }
  /** Take ownership of a reduce partition: restore its checkpoint (or start empty), replay what came after. */
  | { readonly id: number; readonly type: "rebuild"; readonly jobId: string; readonly partition: number; readonly snapshot: Uint8Array | undefined; readonly tasks: readonly ReduceTask[] }
  | { readonly id: number; readonly type: "release"; readonly jobId: string; readonly partition: number }
  | { readonly id: number; readonly type: "snapshot"; readonly jobId: string; readonly partition: number }
  | { readonly id: number; readonly type: "restore"; readonly jobId: string; readonly partition: number; readonly snapshot: Uint8Array }
  | { readonly id: number; readonly type: "lookup"; readonly jobId: string; readonly partition: number; readonly key: Key | undefined }
  | { readonly id: number; readonly type: "ping" }
  /** The thread's V8 heap as it stands (no collection is forced). */
  | { readonly id: number; readonly type: "heap" }
  /** Fault injection for tests and benchmarks: slow every map task down, or crash the thread. */
  | { readonly id: number; readonly type: "inject"; readonly fault: InjectedFault };

export type InjectedFault = { readonly kind: "slow"; readonly delayMs: number } | { readonly kind: "crash" };

export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly value?: MapResult | ReduceResult | Uint8Array | StateLookup | WorkerHeap; readonly busyMs: number }
  /** `abandoned`: the task stopped early because its result was no longer wanted (not a failure). */
  | { readonly id: number; readonly ok: false; readonly error: string; readonly abandoned?: boolean; readonly busyMs: number };

/** A worker thread's V8 heap: bytes in use (live objects and garbage not yet collected) and reserved. */
export interface WorkerHeap {
  readonly heapUsed: number;
  readonly heapTotal: number;
}

/** The data a worker thread starts with. */
export interface WorkerData {
  readonly index: number;
  /**
   * Two Int32 counters the thread bumps (Atomics.add) as it starts and as it finishes each request,
   * at PROGRESS_STARTED and PROGRESS_FINISHED: the pool reads from them what the thread is doing
   * without asking it, so a thread busy in a long task is seen working, not silent.
   */
  readonly progress: SharedArrayBuffer;
}

export const PROGRESS_STARTED = 0;
export const PROGRESS_FINISHED = 1;
