/**
 * Answers that say how to fix: each mistake a new user made, and what the answer must name so that
 * the next request is right (the range, the form to write, the operator to use, the limit).
 */
import supertest from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../support/test-app.js";

let t: TestApp;
let http: ReturnType<typeof supertest>;

beforeAll(async () => {
  t = await createTestApp();
  await t.app.ready();
  http = supertest(t.app.server);
  await http.post("/v1/streams").send({ name: "s" }).expect(201);
  await http.post("/v1/jobs").send({ name: "j", input: "s", steps: [{ op: "filter", where: "true" }] }).expect(201);
});
afterAll(async () => {
  await t.close();
});

type Case = { readonly mistake: string; readonly send: () => supertest.Test; readonly status: number; readonly says: readonly RegExp[] };

const cases: Case[] = [
  { mistake: "a page size over the maximum", send: () => http.get("/v1/jobs/j/results?limit=5000"), status: 400, says: [/limit: must be a whole number from 1 to 1000/] },
  { mistake: "a page size of 0", send: () => http.get("/v1/jobs/j/results?limit=0"), status: 400, says: [/from 1 to 1000/] },
  { mistake: "a batches page size over the maximum", send: () => http.get("/v1/jobs/j/batches?limit=1001"), status: 400, says: [/from 1 to 1000/] },
  {
    mistake: "a batch interval as a number, beside another problem",
    send: () => http.post("/v1/jobs").send({ name: "k", input: "s", batchInterval: 1000, steps: "x" }),
    status: 400,
    says: [/batchInterval: must be a duration written as text[^;]*; for 1000 ms write "1000ms"/, /steps: must be an array \(got a string\)/],
  },
  { mistake: "a window length as a number", send: () => http.post("/v1/jobs").send({ name: "k", input: "s", steps: [{ op: "window", length: 30, slide: "1s" }, { op: "aggregate", aggs: { n: { fn: "count" } } }] }), status: 400, says: [/length: must be a duration written as text/] },
  { mistake: "a comparison written with =", send: () => http.post("/v1/jobs").send({ name: "k", input: "s", steps: [{ op: "filter", where: 'user = "u1"' }] }), status: 400, says: [/steps\[0\]\.where: .*to compare, write ==/] },
  { mistake: "and written as &", send: () => http.post("/v1/jobs").send({ name: "k", input: "s", steps: [{ op: "filter", where: "a & b" }] }), status: 400, says: [/write && and \|\|/] },
  {
    mistake: "a job definition over the size limit",
    send: () => http.post("/v1/jobs").set("content-type", "application/json").send(JSON.stringify({ name: "k", input: "s", steps: [], pad: "x".repeat(2_000_000) })),
    status: 413,
    says: [/\d[\d,]* (bytes|characters)/],
  },
  { mistake: "both last and from", send: () => http.get("/v1/jobs/j/results?last=2&from=1"), status: 400, says: [/last: cannot be given with from/] },
];

describe("error messages name the fix", () => {
  for (const c of cases) {
    it(c.mistake, async () => {
      const res = await c.send();
      expect(res.status).toBe(c.status);
      for (const pattern of c.says) expect(res.body.error.message).toMatch(pattern);
    });
  }

  it("takes pause and resume with a JSON content type and no body", async () => {
    await http.post("/v1/jobs/j/pause").set("content-type", "application/json").expect(200);
    await http.post("/v1/jobs/j/resume").set("content-type", "application/json").expect(200);
    // A body that is there is still checked.
    const bad = await http.post("/v1/jobs/j/pause").set("content-type", "application/json").send("{oops");
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("INVALID_BODY");
    // A registration with no body says what is missing.
    const empty = await http.post("/v1/jobs").set("content-type", "application/json");
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toMatch(/is required/);
  });
});

describe("?last=N", () => {
  it("returns the newest N frames", async () => {
    await http.post("/v1/streams").send({ name: "n" }).expect(201);
    await http.post("/v1/jobs").send({ name: "count", input: "n", steps: [{ op: "aggregate", aggs: { n: { fn: "count" } } }] }).expect(201);
    for (let i = 1; i <= 5; i++) {
      await http.post("/v1/streams/n/events").send(Array.from({ length: i }, () => ({}))).expect(202);
      await t.advance(1000);
    }
    const page = (await http.get("/v1/jobs/count/results?last=2").expect(200)).body;
    expect(page.frames.map((f: { seq: number; rows: { n: number }[] }) => [f.seq, f.rows[0]!.n])).toEqual([
      [4, 4],
      [5, 5],
    ]);
    expect(page.next).toBe(6);
    // More than there are: all of them.
    expect((await http.get("/v1/jobs/count/results?last=1000").expect(200)).body.frames).toHaveLength(5);
  });
});
