/**
 * Child-process entry for the memory after deleting jobs (run by memory.ts, never imported): one job
 * that stays, then `jobs` windowed word counts (30 s window, 1 s slide) on the same stream, on the
 * worker pool, fed 1,100 records a second for `batches` seconds, then all deleted. Prints, as one JSON
 * line, the resident set size with the one job, with every job, and once the jobs are deleted and the
 * heaps of the main thread and the workers have come back near where they were (or after 30 s). Run
 * with --single-threaded-gc, as the server is.
 */
import { ManualClock } from "../src/engine/clock.js";
import { createEngine } from "../src/engine/engine.js";
import { createMetrics } from "../src/metrics/metrics.js";
import { openMemoryStore } from "../src/store/memory/open-memory-store.js";
import { BLOCK_EVENTS, textSource, vocabulary } from "./corpus.js";
import { createRunner } from "./runners.js";
import { jobDefinition } from "./workloads.js";

const jobs = Number(process.argv[2] ?? 50);
const batches = Number(process.argv[3] ?? 12);
const RECORDS_PER_SECOND = 1100;
const MiB = 1024 * 1024;

interface HeapReporter {
  heaps?(): Promise<Map<number, { heapUsed: number; heapTotal: number }>>;
}

const store = openMemoryStore();
const metrics = createMetrics({ defaultMetrics: false });
const runner = await createRunner("pool", store, { workers: 2, metrics });
const clock = new ManualClock(0);
const engine = createEngine({ store, runner: runner.runner, clock, metrics, defaultPartitions: 2 });
const source = textSource({ batches: 3 * batches, recordsPerBatch: RECORDS_PER_SECOND, vocabulary: vocabulary(50_000) });
let batch = 0;
let ids: string[] = [];

async function runBatches(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const { events } = source.batch(++batch);
    for (let e = 0; e < events.length; e += BLOCK_EVENTS) await engine.ingest("records", events.slice(e, e + BLOCK_EVENTS));
    clock.advance(1000);
    for (const id of ids) await engine.whenIdle(id);
  }
}

const workerHeaps = async (): Promise<number> => {
  const heaps = await (runner.runner as HeapReporter).heaps?.();
  return heaps ? [...heaps.values()].reduce((sum, h) => sum + h.heapUsed, 0) : Number.NaN;
};

try {
  await engine.start();
  await engine.declareStream({ name: "records", partitions: 2 });
  const keeper = jobDefinition("grep", { id: "keeper", input: "records", batchIntervalMs: 1000, windowBatches: 1 });
  await engine.registerJob(keeper);
  ids = ["keeper"];
  await runBatches(batches);
  const rssWithOneJobBytes = process.memoryUsage.rss();
  const baseHeap = await workerHeaps();
  const baseMainHeap = process.memoryUsage().heapUsed;
  const windowed = Array.from({ length: jobs }, (_, i) => `wc-${i}`);
  for (const id of windowed) await engine.registerJob(jobDefinition("wordcount", { id, input: "records", batchIntervalMs: 1000, windowBatches: 30 }));
  ids = ["keeper", ...windowed];
  await runBatches(batches);
  const rssWithJobsBytes = process.memoryUsage.rss();
  const loadedHeap = await workerHeaps();
  for (const id of windowed) await engine.deleteJob(id);
  ids = ["keeper"];
  // Evidence that the threads have collected what the deleted jobs left, rather than a fixed wait.
  const settled = (workers: number, main: number) => workers <= baseHeap * 1.5 + 16 * MiB && main <= baseMainHeap * 1.5 + 16 * MiB;
  let heap = await workerHeaps();
  for (const until = performance.now() + 30_000; performance.now() < until && !settled(heap, process.memoryUsage().heapUsed); heap = await workerHeaps()) {
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const rssAfterDeletingJobsBytes = process.memoryUsage.rss();
  process.stdout.write(`${JSON.stringify({ jobs, batches, rssWithOneJobBytes, rssWithJobsBytes, rssAfterDeletingJobsBytes, workerHeapBytes: { withOneJob: baseHeap, withJobs: loadedHeap, afterDeleting: heap } })}\n`);
} finally {
  await engine.stop();
  await runner.close();
  await store.close();
}
