/**
 * One job cannot hurt the others: a job whose expression costs seconds a row is failed with a reason
 * that names its step, on the worker pool as on the main thread, without any worker being torn down,
 * while a healthy job beside it counts every event; it can then be deleted at once. A row whose lists
 * would make nested comprehensions take millions of iterations is refused as a row error up front.
 */
import supertest from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import type { TaskRunner } from "../../../src/engine/task-runner.js";
import { InThreadRunner } from "../../../src/workers/in-thread-runner.js";
import { WorkerPool } from "../../../src/workers/pool/worker-pool.js";
import { countJob } from "../../support/costly-jobs.js";
import { createTestApp, type TestApp } from "../../support/test-app.js";

let t: TestApp | undefined;
let pool: WorkerPool | undefined;

afterEach(async () => {
  await t?.close();
  await pool?.close();
  t = undefined;
  pool = undefined;
});

// 1,000 x 1,000 iterations of a nested map that builds lists, on one row: seconds on any machine, and
// just within what the loop-cost check lets through (1,000^2).
const EXPENSIVE = "size(xs.map(a, xs.map(b, a + b))) > 0";
const badJob = { name: "bad", input: "lists", steps: [{ op: "filter", where: "has(row.xs)" }, { op: "filter", where: EXPENSIVE }] };

async function run(runner: TaskRunner) {
  t = await createTestApp({ runner });
  await t.app.ready();
  const http = supertest(t.app.server);
  await http.post("/v1/jobs").send(countJob).expect(400); // no stream yet: declare both first
  await http.post("/v1/streams").send({ name: "clicks" }).expect(201);
  await http.post("/v1/streams").send({ name: "lists" }).expect(201);
  await http.post("/v1/jobs").send(countJob).expect(201);
  await http.post("/v1/jobs").send(badJob).expect(201);
  await http.post("/v1/streams/clicks/events").send([{ user: "ann" }, { user: "ann" }]).expect(202);
  return http;
}

for (const kind of ["in-thread", "pool"] as const) {
  describe(`on the ${kind} runner`, () => {
    it("fails the job whose expression is over its per-row budget, naming the step; the healthy job counts every event", async () => {
      const runner = kind === "pool" ? (pool = await WorkerPool.start({ workers: 2, standbyWorkers: 0 })) : new InThreadRunner();
      const http = await run(runner);
      const workersBefore = pool?.liveWorkers();
      const xs = Array.from({ length: 1000 }, (_, i) => i % 10);
      await http.post("/v1/streams/lists/events").send({ xs }).expect(202);
      await t!.advance(1000);
      const bad = (await http.get("/v1/jobs/bad").expect(200)).body;
      expect(bad.status).toBe("failed");
      expect(bad.failure).toMatch(/^steps\[1\]\.where exceeded its 1000 ms per row budget \(one row took \d+ ms\)/);
      // The healthy job goes on: every batch after is counted.
      for (let i = 0; i < 3; i++) {
        await http.post("/v1/streams/clicks/events").send({ user: "ann" }).expect(202);
        await t!.advance(1000);
      }
      const frames = (await http.get("/v1/jobs/healthy/results").expect(200)).body.frames as { rows: { key: string; n: number }[] }[];
      const last = Object.fromEntries(frames.at(-1)!.rows.map((r) => [r.key, r.n]));
      expect(last).toEqual({ ann: 5 });
      expect((await http.get("/v1/jobs/healthy").expect(200)).body.status).toBe("running");
      if (pool) expect(pool.liveWorkers()).toEqual(workersBefore); // no worker was replaced
      const started = Date.now();
      await http.delete("/v1/jobs/bad").expect(204);
      expect(Date.now() - started).toBeLessThan(60_000); // answered, not hung (the bound is generous: a busy machine)
    });
  });
}

describe("nested comprehensions over a row's large values", () => {
  it("refuses the row up front as a row error, and the job goes on", async () => {
    t = await createTestApp();
    await t.app.ready();
    const http = supertest(t.app.server);
    await http.post("/v1/streams").send({ name: "lists" }).expect(201);
    const job = { name: "pairs", input: "lists", steps: [{ op: "filter", where: "size(xs.map(a, xs.map(b, a + b))) > 0" }, { op: "aggregate", aggs: { n: { fn: "count" } } }] };
    await http.post("/v1/jobs").send(job).expect(201);
    const huge = Array.from({ length: 5000 }, () => 1);
    await http.post("/v1/streams/lists/events").send([{ xs: huge }, { xs: [1, 2, 3] }]).expect(202);
    const started = Date.now();
    await t.advance(1000);
    const view = (await http.get("/v1/jobs/pairs").expect(200)).body;
    expect(view.status).toBe("running");
    expect(view.progress.rowErrors.count).toBe(1);
    expect(view.progress.rowErrors.last).toMatch(/5000\^2 iterations, over the 1,000,000 a row may take/);
    const frames = (await http.get("/v1/jobs/pairs/results").expect(200)).body.frames;
    expect(frames.at(-1).rows).toEqual([{ n: 1 }]);
    expect(Date.now() - started).toBeLessThan(60_000);
  });
});
