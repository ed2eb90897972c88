/**
 * Deleting jobs gives their memory back. Many windowed word counts run side by side on the worker
 * pool, each holding a window of thousands of keys, and are then deleted: the heap of the main thread
 * and of each worker, as it stands (nothing forced: a thread whose jobs are gone allocates too little
 * to make V8 collect), comes back near what it was with one job, so does the main thread's live heap
 * after a forced collection (nothing of the jobs is still referenced), and /metrics no longer reports
 * the deleted jobs.
 */
import supertest from "supertest";
import { afterEach, expect, it } from "vitest";
import type { WorkerPool } from "../../../src/workers/pool/worker-pool.js";
import { liveHeapBytes } from "../../support/collect-garbage.js";
import { createTestApp, type TestApp } from "../../support/test-app.js";
import { poolsClosedAfterEach } from "../../support/worker-pools.js";

const startPool = poolsClosedAfterEach();
let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const JOBS = 30;
const BATCHES = 10;
const EVENTS_PER_BATCH = 1000;
const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const wordCount = (name: string) => ({
  name,
  input: "text",
  steps: [
    { op: "flatMap", expr: "line.split(' ')", as: "word" },
    { op: "keyBy", key: "word" },
    { op: "window", length: "30s", slide: "1s" },
    { op: "aggregate", aggs: { count: { fn: "count" } } },
  ],
});

async function workerHeapsMiB(pool: WorkerPool): Promise<number[]> {
  return [...(await pool.heaps()).values()].map((h) => h.heapUsed / MiB);
}

it("gives back the memory of deleted windowed jobs, on the main thread and on the workers", async () => {
  const pool = await startPool({ standbyWorkers: 0 });
  t = await createTestApp({ runner: pool });
  await t.app.ready();
  const app = t;
  const http = supertest(app.app.server);
  await http.post("/v1/streams").send({ name: "text" }).expect(201);
  // A job that stays, so the node is not empty and the stream is trimmed at its checkpoints.
  await http.post("/v1/jobs").send({ name: "keeper", input: "text", steps: [{ op: "aggregate", aggs: { n: { fn: "count" } } }] }).expect(201);
  let round = 0;
  const runBatches = async (n: number) => {
    for (let b = 0; b < n; b++) {
      round++;
      // About 1,000 words new to this batch (and 51 seen every batch): a 30 s window keeps growing.
      const events = Array.from({ length: EVENTS_PER_BATCH }, (_, k) => ({ line: `w${round}-${k} x${k % 50} common` }));
      await http.post("/v1/streams/text/events").send(events).expect(202);
      await app.advance(1000);
    }
  };

  // Warm-up: one windowed job created, run and deleted, so that the code and caches a job needs exist.
  await http.post("/v1/jobs").send(wordCount("warm-up")).expect(201);
  await runBatches(3);
  await http.delete("/v1/jobs/warm-up").expect(204);
  await runBatches(BATCHES);
  const baseline = { main: liveHeapBytes() / MiB, workers: await workerHeapsMiB(pool) };

  for (let i = 0; i < JOBS; i++) await http.post("/v1/jobs").send(wordCount(`wc-${i}`)).expect(201);
  await runBatches(BATCHES);
  const loaded = { main: liveHeapBytes() / MiB, workers: await workerHeapsMiB(pool) };
  const state = (await http.get("/v1/jobs/wc-0").expect(200)).body.progress.stateSize as number | undefined;
  const exposition = (await http.get("/metrics").expect(200)).text;
  expect(exposition).toContain('job_name="wc-0"');

  for (let i = 0; i < JOBS; i++) await http.delete(`/v1/jobs/wc-${i}`).expect(204);
  // Evidence, not a deadline: each thread's heap as it stands (no collection forced), until it is
  // back near its baseline (the bound ends a test whose threads never give the memory back).
  const near = (now: number, base: number) => now <= base * 1.5 + 8;
  const settled = (m: number, w: readonly number[]) => near(m, baseline.main) && w.every((v, i) => near(v, baseline.workers[i]!));
  let workers = await workerHeapsMiB(pool);
  let standing = process.memoryUsage().heapUsed / MiB;
  for (const until = Date.now() + 60_000; Date.now() < until && !settled(standing, workers); ) {
    await sleep(250);
    workers = await workerHeapsMiB(pool);
    standing = process.memoryUsage().heapUsed / MiB;
  }
  const main = liveHeapBytes() / MiB;
  console.log(`heapUsed MiB, main thread (after a forced collection): baseline ${baseline.main.toFixed(1)}, ${JOBS} jobs ${loaded.main.toFixed(1)}, deleted ${main.toFixed(1)} (${standing.toFixed(1)} before it); workers: baseline ${fmt(baseline.workers)}, ${JOBS} jobs ${fmt(loaded.workers)}, deleted ${fmt(workers)}; ${state ?? "?"} keys per job`);

  // The jobs held enough that a heap keeping them could not pass for one near its baseline.
  expect(loaded.main).toBeGreaterThan(baseline.main * 1.5 + 8);
  for (const [i, w] of loaded.workers.entries()) expect(w).toBeGreaterThan(baseline.workers[i]! * 1.5 + 8);
  expect(near(standing, baseline.main)).toBe(true);
  expect(near(main, baseline.main)).toBe(true);
  for (const [i, w] of workers.entries()) expect(near(w, baseline.workers[i]!)).toBe(true);
  expect((await http.get("/metrics").expect(200)).text).not.toMatch(/job_name="wc-\d+"/);
});

const fmt = (values: readonly number[]) => values.map((v) => v.toFixed(1)).join(" / ");
