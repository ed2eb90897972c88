/**
 * One job's costly map task does not hold up the other jobs on its worker: the worker runs the task in
 * slices and answers the reduce tasks of another job whose partition it owns between them, so that
 * job's batch is done while the costly task is still running.
 */
import supertest from "supertest";
import { expect, it } from "vitest";
import { costlyJob, costlyRows, countJob, poolAppsClosedAfterEach } from "../../support/costly-jobs.js";

const startApp = poolAppsClosedAfterEach();

it("answers another job's reduce tasks while a costly map task runs on the same worker", async () => {
  const { t, pool } = await startApp();
  const http = supertest(t.app.server);
  await http.post("/v1/streams").send({ name: "clicks", partitions: 2 }).expect(201);
  await http.post("/v1/streams").send({ name: "lists", partitions: 1 }).expect(201);
  await http.post("/v1/jobs").send(countJob).expect(201);
  await http.post("/v1/jobs").send(costlyJob).expect(201);
  // The healthy job's two reduce partitions live on both workers: one of them runs the costly task.
  const p = pool;
  const owners = [p.ownerOf("healthy", 0), p.ownerOf("healthy", 1)].sort();
  expect(owners).toEqual([...p.liveWorkers()].sort());

  // 5,000 costly rows: a task of minutes, far longer than the healthy job's batch however busy the machine.
  await http.post("/v1/streams/lists/events").send(costlyRows(5000)).expect(202);
  await http.post("/v1/streams/clicks/events").send(["ann", "bob", "cy", "dee", "ed", "flo"].map((user) => ({ user }))).expect(202);
  t.clock.advance(1000);

  await t.engine.whenIdle("healthy");
  const healthy = (await http.get("/v1/jobs/healthy/results").expect(200)).body.frames as { rows: { key: string; n: number }[] }[];
  expect(healthy.map((f) => f.rows.length)).toEqual([6]);
  // The healthy job's batch is done while the costly task is still in hand.
  expect((await http.get("/v1/jobs/slow").expect(200)).body.progress.batchesProcessed).toBe(0);
  expect(p.liveWorkers().some((w) => p.runningOn(w) > 0)).toBe(true);

  // The costly task would run for minutes: the job is deleted, and the task stops within a row.
  await http.delete("/v1/jobs/slow").expect(204);
  while (p.liveWorkers().some((w) => p.runningOn(w) > 0)) await new Promise((r) => setTimeout(r, 10));
});
