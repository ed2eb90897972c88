/**
 * Drives the engine in this process on a ManualClock: for each batch, the batch's events are ingested
 * into the store first (not timed), then the clock is moved one batch interval and the time until the
 * job is idle again is that batch's time — cut, record, map, shuffle, reduce, final steps, result
 * frame and any checkpoint due, through the chosen task runner.
 */
import { ManualClock } from "../src/engine/clock.js";
import { createEngine, type Engine } from "../src/engine/engine.js";
import { createMetrics, type Metrics } from "../src/metrics/metrics.js";
import { openMemoryStore } from "../src/store/memory/open-memory-store.js";
import type { ResultFrame } from "../src/store/types.js";
import { BLOCK_EVENTS, type BatchSource } from "./corpus.js";
import { collectGarbageAfter } from "./gc.js";
import type { RunResult } from "./run-result.js";
import { createRunner, type BenchRunner, type RunnerKind } from "./runners.js";
import { answerOfRows, compact, jobDefinition, type Answer, type WorkloadName } from "./workloads.js";

export interface EngineRunOptions {
  readonly runner: RunnerKind;
  readonly workers?: number;
  /** Partitions of the input stream (and reduce partitions of the job). */
  readonly partitions: number;
  readonly windowBatches: number;
  readonly batchIntervalMs?: number;
  readonly checkpointIntervalMs?: number;
  /** Pool only: speculation multiplier (0: off). */
  readonly speculationMultiplier?: number;
  /** Pool only: slow one worker's map tasks down by this much. */
  readonly slowWorkerMs?: number;
}

export interface EngineRunResult extends RunResult {
  /** Keys in the job's state after the last batch. */
  readonly stateSize: number;
  /** Map tasks the pool re-ran speculatively (its stragglers). */
  readonly speculativeTasks: number;
}

export async function runEngine(workload: WorkloadName, source: BatchSource, options: EngineRunOptions): Promise<EngineRunResult> {
  const session = await EngineSession.open(workload, options);
  try {
    for (let b = 1; b <= source.batches; b++) await session.runBatch(b, source);
    return await session.result();
  } finally {
    await session.close();
  }
}

/**
 * One engine with its job, driven a batch at a time, so that two engines can take turns batch by
 * batch on the same input (see scaling.ts).
 */
export class EngineSession {
  private readonly frames: ResultFrame[] = [];
  private readonly answers = new Map<number, Answer>();
  private readonly batchMs: number[] = [];

  private constructor(
    private readonly workload: WorkloadName,
    private readonly id: string,
    private readonly intervalMs: number,
    private readonly store: ReturnType<typeof openMemoryStore>,
    private readonly metrics: Metrics,
    private readonly runner: BenchRunner,
    private readonly engine: Engine,
    private readonly clock: ManualClock,
  ) {}

  static async open(workload: WorkloadName, options: EngineRunOptions): Promise<EngineSession> {
    const intervalMs = options.batchIntervalMs ?? 1000;
    const store = openMemoryStore();
    const metrics = createMetrics({ defaultMetrics: false });
    const runner = await createRunner(options.runner, store, {
      workers: options.workers ?? 2,
      metrics,
      ...(options.speculationMultiplier === undefined ? {} : { speculationMultiplier: options.speculationMultiplier }),
      ...(options.slowWorkerMs === undefined ? {} : { slowWorkerMs: options.slowWorkerMs }),
    });
    const clock = new ManualClock(0);
    const engine = createEngine({ store, runner: runner.runner, clock, metrics, defaultPartitions: options.partitions, checkpointIntervalMs: options.checkpointIntervalMs ?? 10_000 });
    const id = `bench-${workload}`;
    const session = new EngineSession(workload, id, intervalMs, store, metrics, runner, engine, clock);
    try {
      await engine.start();
      await engine.declareStream({ name: "records", partitions: options.partitions });
      await engine.registerJob(jobDefinition(workload, { id, input: "records", batchIntervalMs: intervalMs, windowBatches: options.windowBatches, startFrom: "earliest" }));
      await engine.subscribe(id, 1, { frame: (f) => session.frames.push(f), end: () => undefined });
    } catch (error) {
      await session.close();
      throw error;
    }
    return session;
  }

  /** Ingests batch `b` of `source` (not timed), then times the batch: cut to idle. */
  async runBatch(b: number, source: BatchSource): Promise<void> {
    const { events } = source.batch(b);
    for (let i = 0; i < events.length; i += BLOCK_EVENTS) await this.engine.ingest("records", events.slice(i, i + BLOCK_EVENTS));
    collectGarbageAfter(events.length); // the garbage of generating and ingesting is not the batch's
    const started = performance.now();
    this.clock.advance(this.intervalMs);
    await this.engine.whenIdle(this.id);
    this.batchMs[b] = performance.now() - started;
    // Frames are turned into (digested) answers between batches, outside the timed part.
    for (const frame of this.frames.splice(0)) this.answers.set(frame.batchTime / this.intervalMs, compact(answerOfRows(this.workload, frame.rows)));
  }

  async result(): Promise<EngineRunResult> {
    const job = await this.engine.getJob(this.id);
    if (job.status !== "running") throw new Error(`the engine's ${this.workload} job is ${job.status}: ${job.failure ?? "no reason given"}`);
    const speculative = (await this.metrics.speculativeTasks.get()).values.reduce((n, v) => n + v.value, 0);
    return { answers: this.answers, batchMs: this.batchMs, stateSize: job.progress?.stateSize ?? 0, speculativeTasks: speculative };
  }

  /** Deletes the job, with its state, results and subscription (the engine stays open). */
  async deleteJob(): Promise<void> {
    await this.engine.deleteJob(this.id);
  }

  async close(): Promise<void> {
    await this.engine.stop();
    await this.runner.close();
    await this.store.close();
  }
}
