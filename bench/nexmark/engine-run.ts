/**
 * Runs one Nexmark query's jobs in this process, as bench/engine-driver.ts runs the paper's
 * workloads: the engine on a ManualClock over an in-memory store; for each batch the batch's events
 * are ingested into the `nexmark` stream first (not timed), then the clock moves one batch interval
 * and the time until every job of the query is idle again is that batch's time. After the last
 * batch, `drainBatches` empty batches (not timed) let results that wait on time come out.
 */
import { ManualClock } from "../../src/engine/clock.js";
import { createEngine } from "../../src/engine/engine.js";
import { createMetrics } from "../../src/metrics/metrics.js";
import { openMemoryStore } from "../../src/store/memory/open-memory-store.js";
import { BLOCK_EVENTS, type BatchSource, type Row } from "../corpus.js";
import { collectGarbageAfter } from "../gc.js";
import { createRunner, type RunnerKind } from "../runners.js";
import { INPUT_STREAM, outputStreams, queryJobs, type QueryName } from "./queries.js";

export interface NexmarkEngineOptions {
  readonly runner: RunnerKind;
  readonly workers?: number;
  readonly partitions: number;
  readonly batchIntervalMs?: number;
  readonly drainBatches?: number;
}

export interface NexmarkEngineRun {
  /** The query's answer: every emitted row, or the last frame's rows (see QueryJobs.answer). */
  readonly rows: Row[];
  /** Wall-clock milliseconds of each batch, by batch index (1-based). */
  readonly batchMs: number[];
  /** Rows the jobs dropped on an expression error, and the last such error. */
  readonly rowErrors: number;
  readonly lastRowError: string | null;
}

export async function runNexmarkEngine(query: QueryName, source: BatchSource, options: NexmarkEngineOptions): Promise<NexmarkEngineRun> {
  const intervalMs = options.batchIntervalMs ?? 1000;
  const store = openMemoryStore();
  const metrics = createMetrics({ defaultMetrics: false });
  const runner = await createRunner(options.runner, store, { workers: options.workers ?? 2, metrics });
  const clock = new ManualClock(0);
  const engine = createEngine({ store, runner: runner.runner, clock, metrics, defaultPartitions: options.partitions, checkpointIntervalMs: 10_000 });
  const plan = queryJobs(query, { batchIntervalMs: intervalMs, startFrom: "earliest" });
  const frames: Row[][] = [];
  const batchMs: number[] = [];
  try {
    await engine.start();
    await engine.declareStream({ name: INPUT_STREAM, partitions: options.partitions });
    for (const stream of outputStreams(plan)) await engine.declareStream({ name: stream, partitions: options.partitions });
    for (const job of plan.jobs) await engine.registerJob(job);
    await engine.subscribe(plan.answerJob, 1, { frame: (f) => frames.push(f.rows as Row[]), end: () => undefined });
    const names = plan.jobs.map((j) => String(j.name));
    const tick = async () => {
      clock.advance(intervalMs);
      for (const name of names) await engine.whenIdle(name);
    };
    for (let b = 1; b <= source.batches; b++) {
      const { events } = source.batch(b);
      for (let i = 0; i < events.length; i += BLOCK_EVENTS) await engine.ingest(INPUT_STREAM, events.slice(i, i + BLOCK_EVENTS));
      collectGarbageAfter(events.length);
      const started = performance.now();
      await tick();
      batchMs[b] = performance.now() - started;
    }
    for (let d = 0; d < (options.drainBatches ?? 3); d++) await tick();
    let rowErrors = 0;
    let lastRowError: string | null = null;
    for (const name of names) {
      const job = await engine.getJob(name);
      if (job.status !== "running") throw new Error(`the engine's ${name} job is ${job.status}: ${job.failure ?? "no reason given"}`);
      rowErrors += job.progress?.rowErrors.count ?? 0;
      lastRowError = job.progress?.rowErrors.last ?? lastRowError;
    }
    const rows = plan.answer === "last" ? (frames.at(-1) ?? []) : frames.flat();
    return { rows, batchMs, rowErrors, lastRowError };
  } finally {
    await engine.stop();
    await runner.close();
    await store.close();
  }
}
