/**
 * Recovery from a killed worker: the engine in this process on the wall clock, wordcount over a 30 s
 * window on a 2-worker pool, a steady load, and — once a checkpoint is complete and half a checkpoint
 * interval of batches has run since — the thread owning a reduce partition is crashed 20 ms before a
 * batch boundary. Figure: ms from the crash until the job is back on schedule — the first frame after
 * the crash whose batch finished before the next batch was due, so that no batch waits behind it (a
 * scheduling delay back to zero). Also reported: ms until a frame's latency is back within the normal
 * (at most twice the normal frame lag, or 100 ms more). The window after the last event must still
 * equal the baseline's count.
 */
import { SystemClock } from "../src/engine/clock.js";
import { createEngine } from "../src/engine/engine.js";
import { createMetrics } from "../src/metrics/metrics.js";
import { openMemoryStore } from "../src/store/memory/open-memory-store.js";
import { BLOCK_EVENTS, textSource } from "./corpus.js";
import type { BenchOptions } from "./options.js";
import type { BenchResults } from "./results.js";
import { createRunner, RunnerUnavailableError, type BenchRunner } from "./runners.js";
import { median, round, sleep } from "./stats.js";
import { answerOfRows, differenceOf, jobDefinition } from "./workloads.js";

interface TimedFrame {
  batchTime: number;
  arrivedAt: number;
  rows: readonly Record<string, unknown>[];
}

type Figures = Pick<BenchResults["recovery"], "workerKillMs" | "workerKill">;

export async function measureWorkerKill(options: BenchOptions, loadRecordsPerSec: number, vocabulary: readonly string[], failures: string[]): Promise<Figures> {
  const { checkpointIntervalMs, afterKillMs } = options.recovery;
  const intervalMs = 1000;
  const store = openMemoryStore();
  const metrics = createMetrics({ defaultMetrics: false });
  let bench: BenchRunner;
  try {
    bench = await createRunner("pool", store, { workers: 2, metrics });
  } catch (error) {
    if (error instanceof RunnerUnavailableError) return { workerKillMs: null, workerKill: { reason: error.message } };
    throw error;
  }
  if (!bench.crashOwnerOf) {
    await bench.close();
    return { workerKillMs: null, workerKill: { reason: "the worker pool offers no way to crash one of its workers (inject/ownerOf)" } };
  }
  const engine = createEngine({ store, runner: bench.runner, clock: new SystemClock(), metrics, defaultPartitions: options.partitions, checkpointIntervalMs });
  const id = "recovery-wordcount";
  let loading = true;
  try {
    await engine.start();
    await engine.declareStream({ name: "records", partitions: options.partitions });
    await engine.registerJob(jobDefinition("wordcount", { id, input: "records", batchIntervalMs: intervalMs, windowBatches: options.windowBatches }));
    const frames: TimedFrame[] = [];
    await engine.subscribe(id, undefined, { frame: (f) => frames.push({ batchTime: f.batchTime, arrivedAt: Date.now(), rows: f.rows }), end: () => undefined });

    const chunks = textSource({ batches: 24, recordsPerBatch: BLOCK_EVENTS, vocabulary, seed: 5 });
    const expected = new Map<string, number>();
    const firstIngestAt = Date.now();
    let lastIngestAt = firstIngestAt;
    const gapMs = gapOf(loadRecordsPerSec);
    let loadError: Error | undefined;
    const loader = (async () => {
      for (let i = 0; loading; i++) {
        const due = firstIngestAt + i * gapMs;
        if (due > Date.now()) await sleep(due - Date.now());
        if (!loading) return;
        const { events } = chunks.batch((i % chunks.batches) + 1);
        await engine.ingest("records", events);
        for (const e of events) for (const w of String(e.text).split(" ")) if (w.length > 0) expected.set(w, (expected.get(w) ?? 0) + 1);
        lastIngestAt = Date.now();
      }
    })().catch((error: Error) => {
      loadError = error;
    });

    const checkpointDeadline = Date.now() + checkpointIntervalMs + 5_000;
    let checkpointAt: number | undefined;
    while (checkpointAt === undefined && Date.now() < checkpointDeadline) {
      checkpointAt = (await engine.getJob(id)).progress?.lastCheckpoint?.batchTime;
      await sleep(50);
    }
    if (checkpointAt === undefined) throw new Error(`no checkpoint completed within ${checkpointIntervalMs + 5_000} ms`);
    const halfway = checkpointAt + Math.ceil(checkpointIntervalMs / 2 / intervalMs) * intervalMs;
    const boundary = Math.max(halfway, Math.ceil(Date.now() / intervalMs) * intervalMs + intervalMs);
    await sleep(boundary - 20 - Date.now());
    const killAt = Date.now();
    const crashed = await bench.crashOwnerOf(id, 0);
    const rebuilt = bench.whenRecovered ? sleep(5).then(() => bench.whenRecovered!()).then(() => Date.now() - killAt) : Promise.resolve(undefined);

    await sleep(afterKillMs);
    loading = false;
    await loader;
    if (loadError) throw loadError;
    const arrived = await waitFor(() => frames.find((f) => f.batchTime >= lastIngestAt) !== undefined, 10_000);
    const rebuildMs = await rebuilt;

    const lags = frames.filter((f) => f.batchTime < killAt).slice(2).map((f) => f.arrivedAt - f.batchTime);
    const normalLagMs = median(lags);
    const onTime = Math.max(2 * normalLagMs, normalLagMs + 100);
    const after = frames.filter((f) => f.batchTime > killAt);
    const back = after.find((f) => f.arrivedAt - f.batchTime < intervalMs);
    const latencyBack = after.find((f) => f.arrivedAt - f.batchTime <= onTime);
    const job = await engine.getJob(id);
    if (job.status !== "running") failures.push(`worker kill: the job is ${job.status} after the crash: ${job.failure ?? ""}`);

    let answers = "checked";
    const final = frames.find((f) => f.batchTime >= lastIngestAt);
    if (!arrived || !final) answers = "not checked: no frame after the last event arrived within 10 s";
    else if (final.batchTime - options.windowBatches * intervalMs >= firstIngestAt) answers = "not checked: the run outlasted the window";
    else {
      const difference = differenceOf(expected, answerOfRows("wordcount", final.rows));
      if (difference !== undefined) {
        answers = "wrong";
        failures.push(`worker kill: the window after recovery differs from the baseline's count: ${difference}`);
      }
    }
    return {
      workerKillMs: back ? back.arrivedAt - killAt : null,
      workerKill: {
        ...(back ? {} : { reason: "no frame arrived on schedule after the crash" }),
        latencyBackToNormalMs: latencyBack ? latencyBack.arrivedAt - killAt : null,
        crashedWorker: crashed,
        checkpointIntervalMs,
        loadRecordsPerSec,
        normalFrameLagMs: round(normalLagMs),
        firstFrameAfterKillLagMs: after[0] ? after[0].arrivedAt - after[0].batchTime : null,
        partitionsRebuiltMs: rebuildMs ?? null,
        answers,
      },
    };
  } finally {
    loading = false;
    await sleep(gapOf(loadRecordsPerSec) + 50); // let an ingest in flight finish before the store closes
    await engine.stop();
    await bench.close();
    await store.close();
  }
}

function gapOf(recordsPerSec: number): number {
  return (1000 * BLOCK_EVENTS) / recordsPerSec;
}

async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}
