/** The job routes: registration (and every refusal), inspection, pause/resume, delete, batches. */
import supertest from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../support/test-app.js";

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp();
  await t.app.ready();
  await supertest(t.app.server).post("/v1/streams").send({ name: "words" }).expect(201);
});
afterEach(() => t.close());

const http = () => supertest(t.app.server);
const countJob = (name = "counts", extra: object = {}) => ({
  name,
  input: "words",
  steps: [{ op: "keyBy", key: "w" }, { op: "aggregate", aggs: { count: { fn: "count" } } }],
  ...extra,
});

describe("jobs", () => {
  it("registers a job, lists it, and reports its progress after a batch", async () => {
    const created = await http().post("/v1/jobs").send(countJob()).expect(201);
    expect(created.headers.location).toBe("/v1/jobs/counts");
    expect(created.body).toMatchObject({ id: "counts", input: "words", status: "running" });
    expect((await http().get("/v1/jobs").expect(200)).body.jobs.map((j: { id: string }) => j.id)).toEqual(["counts"]);

    await http().post("/v1/streams/words/events").send([{ w: "a" }, { w: "b" }, { w: "a" }]).expect(202);
    await t.advance(1000);
    const job = (await http().get("/v1/jobs/counts").expect(200)).body;
    expect(job.progress).toMatchObject({ batchesProcessed: 1, eventsProcessed: 3, lastSeq: 1, stateSize: 0 });
    expect(job.progress.lastBatch.events).toBe(3);
  });

  it.each([
    ["an unknown operator", { steps: [{ op: "explode" }] }, /steps\[0\]\.op: unknown operator/],
    ["an unknown field", { steps: [{ op: "filter", where: "true", colour: 1 }] }, /unknown field "colour"/],
    ["a CEL expression that does not parse", { steps: [{ op: "filter", where: "w ==" }] }, /steps\[0\]\.where: syntax error/],
    ["a CEL expression that does not type-check", { steps: [{ op: "filter", where: "1 + 'a'" }] }, /steps\[0\]\.where: .*cannot be applied/],
    ["a window not a multiple of the batch interval", { batchInterval: "2s", steps: [{ op: "window", length: "3s" }, { op: "aggregate", aggs: { c: { fn: "count" } } }] }, /multiple of the batch interval 2s/],
    ["an unknown input stream", { input: "nope" }, /no stream named "nope"/],
    ["a window with an unknown emit", { steps: [{ op: "keyBy", key: "w" }, { op: "window", length: "3s", emit: "delta" }, { op: "aggregate", aggs: { c: { fn: "count" } } }] }, /steps\[1\]\.emit: must be one of all, changes/],
    ["topK after a window with emit changes", { steps: [{ op: "countByValueAndWindow", of: "w", length: "3s", emit: "changes" }, { op: "topK", k: 3, by: "count" }] }, /steps\[1\]\.op: topK ranks the whole window/],
  ])("refuses %s with INVALID_JOB, storing and starting nothing", async (_label, change, message) => {
    const res = await http().post("/v1/jobs").send({ ...countJob(), ...change }).expect(400);
    expect(res.body.error.code).toBe("INVALID_JOB");
    expect(res.body.error.message).toMatch(message);
    expect(res.body.error.details.problems.length).toBeGreaterThan(0);
    expect((await http().get("/v1/jobs")).body.jobs).toEqual([]);
  });

  it("refuses a second job with the same name", async () => {
    await http().post("/v1/jobs").send(countJob()).expect(201);
    expect((await http().post("/v1/jobs").send(countJob()).expect(409)).body.error.code).toBe("JOB_EXISTS");
  });

  it("answers 404 for an unknown job on every job route", async () => {
    for (const [method, path] of [
      ["get", "/v1/jobs/nope"],
      ["delete", "/v1/jobs/nope"],
      ["post", "/v1/jobs/nope/pause"],
      ["post", "/v1/jobs/nope/resume"],
      ["get", "/v1/jobs/nope/results"],
      ["get", "/v1/jobs/nope/batches"],
    ] as const) {
      const res = await http()[method](path).expect(404);
      expect(res.body.error.code, `${method} ${path}`).toBe("UNKNOWN_JOB");
    }
  });

  it("pauses without losing its place, and resumes", async () => {
    await http().post("/v1/jobs").send(countJob()).expect(201);
    expect((await http().post("/v1/jobs/counts/pause").expect(200)).body.status).toBe("paused");
    expect((await http().post("/v1/jobs/counts/pause").expect(409)).body.error.code).toBe("JOB_NOT_RUNNING");
    await http().post("/v1/streams/words/events").send([{ w: "a" }]).expect(202);
    await t.advance(3000);
    expect((await http().get("/v1/jobs/counts/results")).body.frames).toEqual([]);
    expect((await http().post("/v1/jobs/counts/resume").expect(200)).body.status).toBe("running");
    await t.advance(1000);
    const frames = (await http().get("/v1/jobs/counts/results")).body.frames;
    expect(frames.map((f: { rows: unknown }) => f.rows)).toEqual([[{ key: "a", count: 1 }]]);
  });

  it("deletes a job with its results", async () => {
    await http().post("/v1/jobs").send(countJob()).expect(201);
    await t.advance(1000);
    await http().delete("/v1/jobs/counts").expect(204);
    await http().get("/v1/jobs/counts").expect(404);
    expect(await t.store.results.bounds("counts")).toEqual({ first: 0, last: 0 });
    // the name is free again
    await http().post("/v1/jobs").send(countJob()).expect(201);
  });

  it("serves the current weights of a job's online logistic-regression model", async () => {
    const job = { name: "spam", input: "words", steps: [{ op: "trainLogisticRegression", features: ["w == 'win' ? 1.0 : 0.0", "w == 'hi' ? 1.0 : 0.0"], label: "spam", iterations: 20, stepSize: 1 }] };
    await http().post("/v1/jobs").send(job).expect(201);
    const before = (await http().get("/v1/jobs/spam/model").expect(200)).body;
    expect(before).toMatchObject({ jobId: "spam", features: job.steps[0]!.features, weights: [0, 0], examples: 0 });
    const events = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? { w: "win", spam: 1 } : { w: "hi", spam: 0 }));
    await http().post("/v1/streams/words/events").send(events).expect(202);
    await t.advance(1000);
    const model = (await http().get("/v1/jobs/spam/model").expect(200)).body;
    expect(model.examples).toBe(40);
    expect(model.weights[0]).toBeGreaterThan(0); // "win" pushes towards spam
    expect(model.weights[1]).toBeLessThan(0);
  });

  it("answers NO_MODEL for a job that trains none", async () => {
    await http().post("/v1/jobs").send(countJob()).expect(201);
    const res = await http().get("/v1/jobs/counts/model").expect(404);
    expect(res.body.error.code).toBe("NO_MODEL");
    expect((await http().get("/v1/jobs/nope/model").expect(404)).body.error.code).toBe("UNKNOWN_JOB");
  });

  it("records which blocks each batch covered", async () => {
    await http().post("/v1/jobs").send(countJob()).expect(201);
    const receipt = (await http().post("/v1/streams/words/events").send([{ w: "a" }, { w: "b" }]).expect(202)).body;
    await t.advance(1000);
    const { batches } = (await http().get("/v1/jobs/counts/batches").expect(200)).body;
    expect(batches).toHaveLength(1);
    const covered = batches[0].ranges.map((r: { partition: number; from: number; to: number }) => [r.partition, r.from, r.to]);
    expect(covered).toEqual(receipt.blocks.map((b: { partition: number; offset: number }) => [b.partition, b.offset, b.offset + 1]));
  });
});

describe("job chaining", () => {
  it("writes every output row to the job's output stream, where another job reads it", async () => {
    const first = { name: "per-word", input: "words", output: "word-counts", steps: [{ op: "keyBy", key: "w" }, { op: "aggregate", aggs: { n: { fn: "count" } } }] };
    await http().post("/v1/jobs").send(first).expect(201);
    await http().post("/v1/streams/words/events").send([{ w: "a" }, { w: "b" }, { w: "a" }]).expect(202);
    await t.advance(1000);
    // The output stream exists now; a second job sums what the first one emitted.
    const second = { name: "sum", input: "word-counts", startFrom: "earliest", steps: [{ op: "runningAggregate", aggs: { total: { fn: "sum", of: "n" }, keys: { fn: "count" } } }] };
    await http().post("/v1/jobs").send(second).expect(201);
    await http().post("/v1/streams/words/events").send([{ w: "c" }]).expect(202);
    await t.advance(1000);
    await t.advance(1000);
    const frames = (await http().get("/v1/jobs/sum/results").expect(200)).body.frames;
    expect(frames.at(-1).rows).toEqual([{ total: 4, keys: 3 }]);
  });

  it("refuses a job that writes to its own input", async () => {
    const res = await http().post("/v1/jobs").send({ ...countJob(), output: "words" }).expect(400);
    expect(res.body.error.message).toMatch(/output: a job cannot write to a stream it reads \("words"\)/);
  });
});

describe("jobs over several streams", () => {
  const keyByAd = { op: "keyBy", key: "ad" };
  const clickThrough = {
    name: "ctr",
    input: "clicks",
    steps: [keyByAd, { op: "join", type: "full", with: { input: "views", steps: [keyByAd] }, window: { length: "2s" } }],
  };

  it("joins two streams with different partition counts over a window, and records both streams' blocks", async () => {
    await http().post("/v1/streams").send({ name: "clicks", partitions: 3, keyField: "ad" }).expect(201);
    await http().post("/v1/streams").send({ name: "views", partitions: 2 }).expect(201);
    const created = (await http().post("/v1/jobs").send(clickThrough).expect(201)).body;
    expect(created.inputs).toEqual(["clicks", "views"]);

    await http().post("/v1/streams/views/events").send([{ ad: "a", page: 1 }, { ad: "b", page: 2 }]).expect(202);
    await t.advance(1000);
    await http().post("/v1/streams/clicks/events").send([{ ad: "a", user: "u1" }, { ad: "c", user: "u2" }]).expect(202);
    await t.advance(1000);
    await t.advance(1000);
    const frames = (await http().get("/v1/jobs/ctr/results").expect(200)).body.frames as { rows: { key: string }[] }[];
    const byKey = (rows: { key: string }[]) => [...rows].sort((x, y) => x.key.localeCompare(y.key));
    // Window (0, 2s]: both views and both clicks. Window (1s, 3s]: the clicks only.
    expect(byKey(frames[1]!.rows)).toEqual([
      { key: "a", left: { ad: "a", user: "u1" }, right: { ad: "a", page: 1 } },
      { key: "b", left: null, right: { ad: "b", page: 2 } },
      { key: "c", left: { ad: "c", user: "u2" }, right: null },
    ]);
    expect(byKey(frames[2]!.rows)).toEqual([
      { key: "a", left: { ad: "a", user: "u1" }, right: null },
      { key: "c", left: { ad: "c", user: "u2" }, right: null },
    ]);
    const { batches } = (await http().get("/v1/jobs/ctr/batches").expect(200)).body;
    expect(batches[0].ranges.map((r: { stream: string; partition: number }) => `${r.stream}/${r.partition}`)).toEqual(["clicks/0", "clicks/1", "clicks/2", "views/0", "views/1"]);
  });

  it("refuses a join with a stream that does not exist, naming where it is written, and stores nothing", async () => {
    await http().post("/v1/streams").send({ name: "clicks" }).expect(201);
    const res = await http().post("/v1/jobs").send(clickThrough).expect(400);
    expect(res.body.error.code).toBe("INVALID_JOB");
    expect(res.body.error.details.problems).toEqual([{ path: "steps[1].with.input", message: 'no stream named "views"' }]);
    expect(res.body.error.message).toMatch(/declare it with POST \/v1\/streams/);
    expect((await http().get("/v1/jobs")).body.jobs).toEqual([]);
  });

  it("trains a model on a labelled stream and scores another stream with it", async () => {
    await http().post("/v1/streams").send({ name: "labelled" }).expect(201);
    await http().post("/v1/streams").send({ name: "inbox" }).expect(201);
    const job = {
      name: "spam",
      input: "labelled",
      steps: [
        { op: "union", with: [{ input: "inbox", steps: [{ op: "map", set: { spam: "null" } }] }] },
        { op: "trainLogisticRegression", features: ["w == 'win' ? 1.0 : 0.0", "w == 'hi' ? 1.0 : 0.0"], label: "spam", iterations: 20, stepSize: 1 },
      ],
    };
    await http().post("/v1/jobs").send(job).expect(201);
    const labelled = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? { w: "win", spam: 1 } : { w: "hi", spam: 0 }));
    await http().post("/v1/streams/labelled/events").send(labelled).expect(202);
    await t.advance(1000);
    await http().post("/v1/streams/inbox/events").send([{ w: "win", id: 1 }, { w: "hi", id: 2 }]).expect(202);
    await t.advance(1000);
    expect((await http().get("/v1/jobs/spam/model").expect(200)).body.examples).toBe(40);
    const frames = (await http().get("/v1/jobs/spam/results").expect(200)).body.frames;
    const scored = frames.at(-1).rows.map((r: { id: number; prediction: number }) => [r.id, r.prediction]);
    expect(scored).toEqual([[1, 1], [2, 0]]);
  });

  it("trims each input stream only below what the job still needs", async () => {
    // A retention that keeps nothing the job does not need: only the job holds blocks back.
    await http().post("/v1/streams").send({ name: "clicks", retention: { bytes: "1B" } }).expect(201);
    await http().post("/v1/streams").send({ name: "views", retention: { bytes: "1B" } }).expect(201);
    const job = { ...clickThrough, steps: [keyByAd, { op: "join", with: { input: "views", steps: [keyByAd] } }] };
    await http().post("/v1/jobs").send(job).expect(201);
    // Past a second checkpoint (every 10 s): the job needs nothing before the older one.
    for (let i = 0; i < 22; i++) {
      await http().post("/v1/streams/clicks/events").send([{ ad: "a" }]).expect(202);
      await http().post("/v1/streams/views/events").send([{ ad: "a" }]).expect(202);
      await t.advance(1000);
    }
    const start = async (stream: string, partition = 0) => t.store.streams.startOffset(stream, partition);
    // Both streams were trimmed.
    expect(await start("clicks")).toBeGreaterThan(0);
    expect(await start("views")).toBeGreaterThan(0);
    // ...and nothing the batches after the trim point read was trimmed, in either stream. (The oldest
    // descriptor kept is the batch the trim was made at: its frame is stored, its blocks are not needed.)
    const { batches } = (await http().get("/v1/jobs/ctr/batches?limit=1000").expect(200)).body;
    expect(batches.length).toBeGreaterThan(1);
    for (const d of (batches as { ranges: { stream: string; partition: number; from: number }[] }[]).slice(1)) {
      for (const r of d.ranges) expect(await start(r.stream, r.partition), `${r.stream}/${r.partition}`).toBeLessThanOrEqual(r.from);
    }
  });
});

describe("event time from the stream", () => {
  const perMinute = { name: "per-minute", input: "clicks", steps: [{ op: "eventWindow", length: "1m", aggs: { n: { fn: "count" } } }] };

  it("windows over the stream's event-time field when the eventWindow names no time, and stores which", async () => {
    await http().post("/v1/streams").send({ name: "clicks", eventTimeField: "at" }).expect(201);
    const created = (await http().post("/v1/jobs").send(perMinute).expect(201)).body;
    expect(created.definition.steps[0].time).toBe("at");
    await http().post("/v1/streams/clicks/events").send([{ at: 1_000 }, { at: 59_000 }, { at: 61_000 }, { at: 200_000 }]).expect(202);
    await t.advance(1000);
    const frames = (await http().get("/v1/jobs/per-minute/results").expect(200)).body.frames;
    expect(frames.flatMap((f: { rows: unknown[] }) => f.rows)).toEqual([
      { windowStart: 0, windowEnd: 60_000, n: 2 },
      { windowStart: 60_000, windowEnd: 120_000, n: 1 },
    ]);
  });

  it("refuses an eventWindow without time on a stream with no event-time field, and stores nothing", async () => {
    await http().post("/v1/streams").send({ name: "clicks" }).expect(201);
    const res = await http().post("/v1/jobs").send(perMinute).expect(400);
    expect(res.body.error.code).toBe("INVALID_JOB");
    expect(res.body.error.details.problems).toEqual([{ path: "steps[0].time", message: expect.stringMatching(/stream "clicks" names no event-time field; give "time"/) }]);
    expect((await http().get("/v1/jobs")).body.jobs).toEqual([]);
  });
});

describe("live state queries", () => {
  const totals = { name: "totals", input: "words", steps: [{ op: "keyBy", key: "w" }, { op: "runningAggregate", aggs: { n: { fn: "count" }, s: { fn: "sum", of: "v" } } }] };

  it("reads one key's state from the partition that owns it, typed keys included", async () => {
    await http().post("/v1/jobs").send(totals).expect(201);
    await http().post("/v1/streams/words/events").send([{ w: "a", v: 1 }, { w: "b", v: 2 }, { w: "a", v: 3 }, { w: 7, v: 4 }]).expect(202);
    await t.advance(1000);
    await http().post("/v1/streams/words/events").send([{ w: "a", v: 5 }]).expect(202);
    await t.advance(1000);
    const a = (await http().get("/v1/jobs/totals/state").query({ key: "a" }).expect(200)).body;
    expect(a).toMatchObject({ jobId: "totals", key: "a", found: true, state: { key: "a", n: 3, s: 9 } });
    expect([0, 1]).toContain(a.partition);
    expect((await http().get("/v1/jobs/totals/state").query({ key: "7", keyType: "number" }).expect(200)).body).toMatchObject({ key: 7, found: true, state: { key: 7, n: 1, s: 4 } });
    // The text "7" is another key than the number 7.
    expect((await http().get("/v1/jobs/totals/state").query({ key: "7" }).expect(200)).body).toMatchObject({ key: "7", found: false, state: null });
  });

  it("reads a window's current aggregate and a mapWithState's user state", async () => {
    const windowed = { name: "windowed", input: "words", steps: [{ op: "keyBy", key: "w" }, { op: "window", length: "2s" }, { op: "aggregate", aggs: { n: { fn: "count" } } }] };
    const machine = { name: "machine", input: "words", steps: [{ op: "keyBy", key: "w" }, { op: "mapWithState", init: "0", update: "state + 1" }] };
    await http().post("/v1/jobs").send(windowed).expect(201);
    await http().post("/v1/jobs").send(machine).expect(201);
    await http().post("/v1/streams/words/events").send([{ w: "a" }, { w: "a" }]).expect(202);
    await t.advance(1000);
    await http().post("/v1/streams/words/events").send([{ w: "a" }]).expect(202);
    await t.advance(1000);
    expect((await http().get("/v1/jobs/windowed/state?key=a").expect(200)).body.state).toEqual({ key: "a", n: 3 });
    expect((await http().get("/v1/jobs/machine/state?key=a").expect(200)).body.state).toEqual({ state: 3 });
    await t.advance(1000);
    await t.advance(1000);
    // The window has slid past every event.
    expect((await http().get("/v1/jobs/windowed/state?key=a").expect(200)).body).toMatchObject({ found: false, state: null });
  });

  it.each([
    ["an unknown keyType", "key=a&keyType=date", /keyType: must be one of string, number, boolean, null/],
    ["a key that is not a number", "key=abc&keyType=number", /key: must be a finite number with keyType number/],
    ["a key that is not a boolean", "key=yes&keyType=boolean", /key: must be true or false/],
    ["an unknown query parameter", "key=a&shard=1", /shard/],
  ])("refuses %s with INVALID_REQUEST", async (_label, query, message) => {
    await http().post("/v1/jobs").send(totals).expect(201);
    const res = await http().get(`/v1/jobs/totals/state?${query}`).expect(400);
    expect(res.body.error.code).toBe("INVALID_REQUEST");
    expect(res.body.error.message).toMatch(message);
  });

  it("answers NO_STATE for a job that keeps none, and UNKNOWN_JOB for no job", async () => {
    await http().post("/v1/jobs").send(countJob()).expect(201);
    const res = await http().get("/v1/jobs/counts/state?key=a").expect(404);
    expect(res.body.error.code).toBe("NO_STATE");
    expect(res.body.error.message).toMatch(/keeps no state from batch to batch/);
    expect((await http().get("/v1/jobs/nope/state?key=a").expect(404)).body.error.code).toBe("UNKNOWN_JOB");
  });
});
