/**
 * Drives the engine in this process on a ManualClock: for each batch, the batch's events are ingested
 * into the store first (not timed), then the clock is moved one batch interval and the time until the
 * job is idle again is that batch's time — cut, record, map, shuffle, reduce, final steps, result
 * frame and any checkpoint due, through the chosen task runner.
 */
import { ManualClock } from "../src/engine/clock.js";
import { createEngine } from "../src/engine/engine.js";
import { createMetrics } from "../src/metrics/metrics.js";
import { openMemoryStore } from "../src/store/memory/open-memory-store.js";
import type { ResultFrame } from "../src/store/types.js";
import { BLOCK_EVENTS, type BatchSource } from "./corpus.js";
import { collectGarbageAfter } from "./gc.js";
import type { RunResult } from "./run-result.js";
import { createRunner, type RunnerKind } from "./runners.js";
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
  try {
    await engine.start();
    await engine.declareStream({ name: "records", partitions: options.partitions });
    const id = `bench-${workload}`;
    await engine.registerJob(jobDefinition(workload, { id, input: "records", batchIntervalMs: intervalMs, windowBatches: options.windowBatches, startFrom: "earliest" }));
    // Frames are turned into (digested) answers between batches, outside the timed part.
    const frames: ResultFrame[] = [];
    const answers = new Map<number, Answer>();
    const keep = () => {
      for (const frame of frames.splice(0)) answers.set(frame.batchTime / intervalMs, compact(answerOfRows(workload, frame.rows)));
    };
    await engine.subscribe(id, 1, { frame: (f) => frames.push(f), end: () => undefined });
    const batchMs: number[] = [];
    for (let b = 1; b <= source.batches; b++) {
      const { events } = source.batch(b);
      for (let i = 0; i < events.length; i += BLOCK_EVENTS) await engine.ingest("records", events.slice(i, i + BLOCK_EVENTS));
      collectGarbageAfter(events.length); // the garbage of generating and ingesting is not the batch's
      const started = performance.now();
      clock.advance(intervalMs);
      await engine.whenIdle(id);
      batchMs[b] = performance.now() - started;
      keep();
    }
    const job = await engine.getJob(id);
    if (job.status !== "running") throw new Error(`the engine's ${workload} job is ${job.status}: ${job.failure ?? "no reason given"}`);
    const speculative = (await metrics.speculativeTasks.get()).values.reduce((n, v) => n + v.value, 0);
    return { answers, batchMs, stateSize: job.progress?.stateSize ?? 0, speculativeTasks: speculative };
  } finally {
    await engine.stop();
    await runner.close();
    await store.close();
  }
}
