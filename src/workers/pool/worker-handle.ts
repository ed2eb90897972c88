/**
 * One worker thread as the pool sees it: requests with ids and promised replies, in-flight count, busy
 * time, a progress counter the thread bumps as it starts and finishes requests, and a death notice
 * that fails every pending request with WorkerLostError so the pool can run it elsewhere.
 *
 * A worker is lost only on evidence: its thread exits or throws, or the pool ends it on purpose. How
 * long it takes to answer is never evidence: on a machine short of CPU, or in a costly task, a healthy
 * thread answers late, and declaring it dead would only run its work again, just as slowly, elsewhere.
 */
import type { EventLoopUtilization } from "node:perf_hooks";
import type { Worker } from "node:worker_threads";
import { startThread } from "../start-thread.js";
import { TaskAbandonedError } from "../../engine/operators/operator.js";
import { PROGRESS_FINISHED, PROGRESS_STARTED, type WorkerData, type WorkerReply, type WorkerRequest } from "./protocol.js";

/** A request's worker died before answering; the pool retries the work elsewhere. */
export class WorkerLostError extends Error {
  constructor(readonly workerIndex: number, reason: string) {
    super(`worker ${workerIndex} was lost: ${reason}`);
    this.name = "WorkerLostError";
  }
}

/** Swallows a WorkerLostError (the work is redone elsewhere), rethrows anything else. */
export function unlessLost(error: unknown): void {
  if (!(error instanceof WorkerLostError)) throw error;
}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };
type RequestBody = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

export class WorkerHandle {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private dead: string | undefined;
  private readonly booted: Promise<void>;
  /** Bumped by the thread: requests started and requests finished (see protocol.ts). */
  private readonly progress = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
  /** Requests sent and not yet answered. */
  inFlight = 0;
  busyMs = 0;
  /** The thread's event-loop reading at the previous eventLoopUtilization() call. */
  private lastLoop: EventLoopUtilization | undefined;

  constructor(
    readonly index: number,
    private readonly onDeath: (handle: WorkerHandle, reason: string) => void,
    options: { onBusy?: (ms: number) => void } = {},
  ) {
    this.worker = startThread(import.meta.url, "worker-entry", { index, progress: this.progress.buffer as SharedArrayBuffer } satisfies WorkerData);
    this.worker.on("message", (reply: WorkerReply) => {
      options.onBusy?.(reply.busyMs);
      this.settle(reply);
    });
    this.worker.on("error", (error) => this.die(`uncaught error: ${error.message}`));
    this.worker.on("exit", (code) => this.die(`exited with code ${code}`));
    // The first answer comes once the thread has loaded its modules, however long that takes.
    this.booted = this.request({ type: "ping" }).then(() => undefined);
    this.booted.catch(() => undefined);
  }

  get alive(): boolean {
    return this.dead === undefined;
  }

  /** Requests the thread has started and not finished: evidence that it is working on them now. */
  get running(): number {
    return Atomics.load(this.progress, PROGRESS_STARTED) - Atomics.load(this.progress, PROGRESS_FINISHED);
  }

  /**
   * The share of time (0-1) the thread's event loop was busy since the previous call (since the thread
   * started, at the first). Read from this side: a thread busy with a long task need not answer.
   */
  eventLoopUtilization(): number {
    const now = this.worker.performance.eventLoopUtilization();
    const since = this.lastLoop === undefined ? now : this.worker.performance.eventLoopUtilization(now, this.lastLoop);
    this.lastLoop = now;
    return since.utilization;
  }

  /** Resolves once the thread answers (it is started and its modules are loaded). */
  ready(): Promise<void> {
    return this.booted;
  }

  request<T = unknown>(body: RequestBody, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.dead) return Promise.reject(new WorkerLostError(this.index, this.dead));
    const id = this.nextId++;
    this.inFlight += 1;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ ...body, id }, transfer);
    });
  }

  /** Stops the thread for good (pool shutdown, or a worker ended on purpose); it counts as lost. */
  async terminate(reason = "terminated"): Promise<void> {
    this.die(reason);
    await this.worker.terminate();
  }

  private settle(reply: WorkerReply): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    this.inFlight -= 1;
    this.busyMs += reply.busyMs;
    if (reply.ok) pending.resolve(reply.value);
    else pending.reject(reply.abandoned ? new TaskAbandonedError() : new Error(reply.error));
  }

  private die(reason: string): void {
    if (this.dead) return;
    this.dead = reason;
    for (const pending of this.pending.values()) pending.reject(new WorkerLostError(this.index, reason));
    this.pending.clear();
    this.inFlight = 0;
    void this.worker.terminate();
    this.onDeath(this, reason);
  }
}
