/**
 * A job can always be deleted, whatever it is doing: DELETE of a job whose batch is in the middle of
 * a long task on the worker pool answers at once (it does not wait for the task), the task stops at
 * its next row, nothing of the deleted job is written afterwards, no worker is replaced, the job next
 * to it keeps counting, and a job registered again under the same name starts afresh.
 */
import supertest from "supertest";
import { expect, it } from "vitest";
import { costlyJob, costlyRows, countJob, poolAppsClosedAfterEach } from "../../support/costly-jobs.js";

const startApp = poolAppsClosedAfterEach();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// 500 costly rows: a task of many seconds.
const SLOW_ROWS = 500;

it("deletes a job at once while its task is running on a worker, and writes nothing of it afterwards", async () => {
  const { t, pool } = await startApp();
  const http = supertest(t.app.server);
  await http.post("/v1/streams").send({ name: "clicks" }).expect(201);
  await http.post("/v1/streams").send({ name: "lists", partitions: 1 }).expect(201);
  await http.post("/v1/jobs").send(costlyJob).expect(201);
  const workersBefore = pool.liveWorkers();

  await http.post("/v1/streams/lists/events").send(costlyRows(SLOW_ROWS)).expect(202);
  t.clock.advance(1000);
  // Evidence that the slow job's task is running: it is the only job, and a worker has a request in hand.
  const p = pool;
  while (!p.liveWorkers().some((w) => p.runningOn(w) > 0)) await sleep(5);

  const started = performance.now();
  await http.delete("/v1/jobs/slow").expect(204);
  const deleteMs = performance.now() - started;
  console.log(`DELETE answered in ${deleteMs.toFixed(0)} ms while a ${SLOW_ROWS}-row task was running`);
  // The task alone takes many seconds (tens of ms a row): an answer this soon did not wait for it (a
  // generous bound for a busy machine; the target is well under a second).
  expect(deleteMs).toBeLessThan(5000);
  await http.get("/v1/jobs/slow").expect(404);

  // The worker lets the task go at its next row: it is free again, and was never replaced.
  while (p.liveWorkers().some((w) => p.runningOn(w) > 0)) await sleep(5);
  expect(pool.liveWorkers()).toEqual(workersBefore);
  // Nothing of the deleted job was written after it was gone.
  expect(await t.store.results.bounds("slow")).toEqual({ first: 0, last: 0 });
  expect(await t.store.batches.list("slow", 0, 10)).toEqual([]);
  expect(await t.store.catalog.getJob("slow")).toBeUndefined();

  // Other jobs run; a job registered again under the name starts afresh.
  await http.post("/v1/jobs").send(countJob).expect(201);
  await http.post("/v1/jobs").send({ ...costlyJob, steps: [{ op: "aggregate", aggs: { n: { fn: "count" } } }] }).expect(201);
  await http.post("/v1/streams/lists/events").send([{ xs: [] }, { xs: [] }]).expect(202);
  await http.post("/v1/streams/clicks/events").send([{ user: "ann" }]).expect(202);
  await t.advance(1000);
  const healthy = (await http.get("/v1/jobs/healthy/results").expect(200)).body.frames as { rows: { key: string; n: number }[] }[];
  expect(healthy.at(-1)!.rows).toEqual([{ key: "ann", n: 1 }]);
  const again = (await http.get("/v1/jobs/slow/results").expect(200)).body.frames as { seq: number; rows: { n: number }[] }[];
  expect(again.map((f) => [f.seq, f.rows])).toEqual([[1, [{ n: 2 }]]]);
});
