/**
 * Runs one job over a list of input batches with a manual clock and any TaskRunner, and returns every
 * result frame: the way tests compare a run with failures against a run without.
 */
import { ManualClock } from "../../src/engine/clock.js";
import { createEngine } from "../../src/engine/engine.js";
import type { TaskRunner } from "../../src/engine/task-runner.js";
import { createMetrics, type Metrics } from "../../src/metrics/metrics.js";
import { openMemoryStore } from "../../src/store/memory/open-memory-store.js";
import type { ResultFrame } from "../../src/store/types.js";

export interface JobRunOptions {
  readonly runner: TaskRunner;
  readonly definition: Record<string, unknown>;
  readonly batches: readonly Record<string, unknown>[][];
  readonly partitions?: number;
  /** Further streams (3 partitions each) and their batches, for jobs that read several streams. */
  readonly others?: Readonly<Record<string, readonly Record<string, unknown>[][]>>;
  readonly checkpointIntervalMs?: number;
  readonly metrics?: Metrics;
  /** Called before batch i is cut (after its events are ingested). */
  readonly beforeBatch?: (i: number) => Promise<void> | void;
}

export async function runJob(options: JobRunOptions): Promise<ResultFrame[]> {
  const store = openMemoryStore();
  const clock = new ManualClock(0);
  const engine = createEngine({
    store,
    runner: options.runner,
    clock,
    metrics: options.metrics ?? createMetrics({ defaultMetrics: false }),
    checkpointIntervalMs: options.checkpointIntervalMs ?? 10_000,
  });
  await engine.start();
  await engine.declareStream({ name: "in", partitions: options.partitions ?? 4 });
  const others = Object.entries(options.others ?? {});
  for (const [name] of others) await engine.declareStream({ name, partitions: 3 });
  const definition = { ...options.definition, name: "job", input: "in" };
  await engine.registerJob(definition);
  const frames: ResultFrame[] = [];
  await engine.subscribe("job", 1, { frame: (f) => frames.push(f), end: () => undefined });
  const interval = 1000;
  for (const [i, events] of options.batches.entries()) {
    if (events.length > 0) await engine.ingest("in", events);
    for (const [name, batches] of others) if ((batches[i] ?? []).length > 0) await engine.ingest(name, batches[i]!);
    await options.beforeBatch?.(i);
    clock.advance(interval);
    await engine.whenIdle("job");
  }
  const job = await engine.getJob("job");
  if (job.status !== "running") throw new Error(`job ${job.status}: ${job.failure}`);
  await engine.stop();
  await engine.deleteJob("job").catch(() => undefined);
  await store.close();
  return frames;
}
