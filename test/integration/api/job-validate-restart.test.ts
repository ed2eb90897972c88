/**
 * A dry run of a registration (POST /v1/jobs/validate): every check, and where each step would run,
 * with nothing stored. A failed job restarted from its last checkpoint (POST /v1/jobs/:id/restart)
 * counts every event once, as if it had never failed.
 */
import supertest from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import type { ReduceResult, ReduceTask } from "../../../src/engine/task-runner.js";
import { InThreadRunner } from "../../../src/workers/in-thread-runner.js";
import { createTestApp, type TestApp } from "../../support/test-app.js";

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const wordcount = {
  name: "words",
  input: "tweets",
  steps: [
    { op: "flatMap", expr: "text.split(' ')", as: "word" },
    { op: "keyBy", key: "word" },
    { op: "window", length: "30s", slide: "1s" },
    { op: "aggregate", aggs: { n: { fn: "count" } } },
    { op: "topK", k: 3, by: "n" },
  ],
};

describe("POST /v1/jobs/validate", () => {
  it("answers the plan of a valid definition and stores nothing", async () => {
    t = await createTestApp();
    await t.app.ready();
    const http = supertest(t.app.server);
    await http.post("/v1/streams").send({ name: "tweets", partitions: 3 }).expect(201);
    const { body } = await http.post("/v1/jobs/validate").send(wordcount).expect(200);
    expect(body.valid).toBe(true);
    expect(body.definition).toMatchObject({ name: "words", batchInterval: "1s", startFrom: "latest" });
    expect(body.plan).toMatchObject({ batchInterval: "1s", slide: "1s", inputs: [{ stream: "tweets", partitions: 3 }], keyPartitions: 3 });
    expect(body.plan.steps).toEqual([
      { step: 0, op: "flatMap", stage: "map", keepsState: false },
      { step: 1, op: "keyBy", stage: "map", keepsState: false },
      { step: 2, op: "window", stage: "keyed", keepsState: true },
      { step: 4, op: "topK", stage: "final", keepsState: false },
    ]);
    await http.get("/v1/jobs/words").expect(404);
    expect((await http.get("/v1/jobs").expect(200)).body.jobs).toEqual([]);
  });

  it("refuses what a registration would refuse, with the same problems", async () => {
    t = await createTestApp();
    await t.app.ready();
    const http = supertest(t.app.server);
    const noStream = await http.post("/v1/jobs/validate").send(wordcount).expect(400);
    expect(noStream.body.error.message).toMatch(/no stream named "tweets"/);
    await http.post("/v1/streams").send({ name: "tweets" }).expect(201);
    const bad = { ...wordcount, steps: [{ op: "filter", where: "size(text" }] };
    const dry = await http.post("/v1/jobs/validate").send(bad).expect(400);
    const real = await http.post("/v1/jobs").send(bad).expect(400);
    expect(dry.body.error).toEqual(real.body.error);
  });
});

/** The real in-thread runner, whose reduce tasks fail while `broken` is set, as a lost store or a bug would. */
class FlakyRunner extends InThreadRunner {
  broken = false;
  override async reduce(task: ReduceTask): Promise<ReduceResult> {
    if (this.broken) throw new Error("reduce partition unavailable");
    return super.reduce(task);
  }
}

describe("POST /v1/jobs/:id/restart", () => {
  it("runs a failed job again from its last checkpoint; every event is counted once", async () => {
    const runner = new FlakyRunner();
    t = await createTestApp({ runner });
    await t.app.ready();
    const http = supertest(t.app.server);
    await http.post("/v1/streams").send({ name: "clicks" }).expect(201);
    await http.post("/v1/jobs").send({ name: "counts", input: "clicks", steps: [{ op: "keyBy", key: "user" }, { op: "runningAggregate", aggs: { n: { fn: "count" } } }] }).expect(201);
    let sent = 0;
    const push = async (n: number) => {
      await http.post("/v1/streams/clicks/events").send(Array.from({ length: n }, () => ({ user: "ann" }))).expect(202);
      sent += n;
    };
    for (let i = 0; i < 3; i++) {
      await push(2);
      await t.advance(1000);
    }
    await http.post("/v1/jobs/counts/restart").expect(409); // running: nothing to restart

    runner.broken = true;
    await push(5);
    await t.advance(1000);
    const failed = (await http.get("/v1/jobs/counts").expect(200)).body;
    expect(failed.status).toBe("failed");
    expect(failed.failure).toMatch(/reduce partition unavailable/);
    const resume = await http.post("/v1/jobs/counts/resume").expect(409);
    expect(resume.body.error.message).toMatch(/POST \/v1\/jobs\/counts\/restart/);

    runner.broken = false;
    await push(1); // stored while the job is down: read once it is back
    const restarted = (await http.post("/v1/jobs/counts/restart").expect(200)).body;
    expect(restarted.status).toBe("running");
    expect(restarted.failure).toBeNull();
    await t.advance(1000);
    const frames = (await http.get("/v1/jobs/counts/results?limit=1000").expect(200)).body.frames as { seq: number; rows: { key: string; n: number }[] }[];
    expect(frames.at(-1)!.rows).toEqual([{ key: "ann", n: sent }]);
    // No frame was skipped or written twice.
    expect(frames.map((f) => f.seq)).toEqual(frames.map((_, i) => i + 1));
  });
});
