/**
 * The one place the benchmark makes task runners, because their constructors are changing while the
 * worker pool is built: "in-thread" runs every task on the calling thread; "pool" is the worker-thread
 * pool, loaded at run time so that a pool that is missing or not yet working is reported as
 * RunnerUnavailableError (its figures become null with the reason) instead of breaking the build.
 */
import type { TaskRunner } from "../src/engine/task-runner.js";
import type { Metrics } from "../src/metrics/metrics.js";
import type { Store, StreamLog } from "../src/store/types.js";
import { InThreadRunner } from "../src/workers/in-thread-runner.js";

export type RunnerKind = "in-thread" | "pool";

export interface BenchRunner {
  readonly runner: TaskRunner;
  readonly kind: RunnerKind;
  /** Worker threads (0: the calling thread). */
  readonly workers: number;
  /** Crashes the worker thread that owns a job's reduce partition; resolves with its index. Pool only. */
  crashOwnerOf?(jobId: string, partition: number): Promise<number>;
  /** Resolves once the runner has rebuilt every partition it lost. Pool only. */
  whenRecovered?(): Promise<void>;
  close(): Promise<void>;
}

/** The runner kind cannot be made in this build; `message` says why. */
export class RunnerUnavailableError extends Error {
  override readonly name = "RunnerUnavailableError";
}

/** What the benchmark uses of the pool; checked at run time, since the pool's API is still moving. */
interface PoolRunner extends TaskRunner {
  inject?(worker: number, fault: { kind: "crash" } | { kind: "slow"; delayMs: number }): Promise<unknown>;
  liveWorkers?(): number[];
  ownerOf?(jobId: string, partition: number): number | undefined;
  whenRecovered?(): Promise<void>;
}
interface PoolModule {
  WorkerPool?: { start?(options: { workers: number; metrics?: Metrics; speculationMultiplier?: number }): Promise<PoolRunner> };
}

// A variable, so the compiler does not tie the benchmark to the pool module's current shape.
const POOL_MODULE = "../src/workers/pool/worker-pool.js";

export interface RunnerOptions {
  workers?: number;
  metrics?: Metrics;
  /** Pool only: the speculation multiplier (0: never re-run a straggler). */
  speculationMultiplier?: number;
  /** Pool only: slow every map task of the last worker down by this much (a straggler node). */
  slowWorkerMs?: number;
}

export async function createRunner(kind: RunnerKind, store: Store, options: RunnerOptions = {}): Promise<BenchRunner> {
  if (kind === "in-thread") {
    // The runner being built takes the stream log (tasks read their own blocks); today's ignores it.
    const Runner = InThreadRunner as unknown as new (log: StreamLog) => TaskRunner;
    const runner = new Runner(store.streams);
    return { runner, kind, workers: 0, close: () => runner.close() };
  }
  const workers = options.workers ?? 2;
  let pool: PoolRunner;
  try {
    const module = (await import(POOL_MODULE)) as PoolModule;
    if (typeof module.WorkerPool?.start !== "function") throw new Error("src/workers/pool/worker-pool has no WorkerPool.start");
    pool = await module.WorkerPool.start({
      workers,
      ...(options.metrics ? { metrics: options.metrics } : {}),
      ...(options.speculationMultiplier === undefined ? {} : { speculationMultiplier: options.speculationMultiplier }),
    });
    if (options.slowWorkerMs) {
      const last = pool.liveWorkers?.().at(-1);
      if (last === undefined || typeof pool.inject !== "function") throw new Error("the pool cannot slow a worker down");
      await pool.inject(last, { kind: "slow", delayMs: options.slowWorkerMs });
    }
  } catch (error) {
    throw new RunnerUnavailableError(`the worker pool is not available yet: ${(error as Error).message}`);
  }
  const handle: BenchRunner = { runner: pool, kind, workers, close: () => pool.close() };
  if (typeof pool.inject === "function" && typeof pool.ownerOf === "function") {
    const inject = pool.inject.bind(pool);
    const ownerOf = pool.ownerOf.bind(pool);
    return {
      ...handle,
      async crashOwnerOf(jobId, partition) {
        const owner = ownerOf(jobId, partition);
        if (owner === undefined) throw new RunnerUnavailableError(`the pool names no owner of ${jobId} partition ${partition}`);
        await inject(owner, { kind: "crash" });
        return owner;
      },
      ...(typeof pool.whenRecovered === "function" ? { whenRecovered: pool.whenRecovered.bind(pool) } : {}),
    };
  }
  return handle;
}
