/**
 * PUT /v1/jobs/:id: a running windowed job changed mid-stream keeps every key's state when the change
 * allows, so from the upgrade on its frames are those of a job that had the new definition from the
 * start, with no batch lost or doubled; a change its state cannot survive is refused with each
 * difference and changes nothing, unless the request says "state": "reset".
 */
import supertest from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { ApiKeys } from "../../../src/api/auth/api-keys.js";
import { LiveTokens } from "../../../src/api/auth/live-tokens.js";
import { createTestApp, type TestApp } from "../../support/test-app.js";

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const before = {
  input: "clicks",
  steps: [
    { op: "keyBy", key: "user" },
    { op: "window", length: "5s", slide: "1s" },
    { op: "aggregate", aggs: { n: { fn: "count" }, spent: { fn: "sum", of: "amount" } } },
    { op: "topK", k: 10, by: "n" },
  ],
};

/** Compatible: a filter before the keyed step, an output field after it, another k for topK. */
const after = {
  input: "clicks",
  steps: [
    { op: "filter", where: "user != 'bot'" },
    { op: "keyBy", key: "user" },
    { op: "window", length: "5s", slide: "1s" },
    { op: "aggregate", aggs: { n: { fn: "count" }, spent: { fn: "sum", of: "amount" } } },
    { op: "map", set: { big: "spent > 20" } },
    { op: "topK", k: 5, by: "n" },
  ],
};

interface Frame {
  seq: number;
  batchTime: number;
  rows: unknown[];
}

async function frames(http: supertest.Agent, job: string): Promise<Frame[]> {
  return (await http.get(`/v1/jobs/${job}/results?limit=1000`).expect(200)).body.frames as Frame[];
}

async function setUp(): Promise<{ http: supertest.Agent; push: (events: object[]) => Promise<void> }> {
  t = await createTestApp();
  await t.app.ready();
  const http = supertest.agent(t.app.server);
  await http.post("/v1/streams").send({ name: "clicks", partitions: 2 }).expect(201);
  return { http, push: async (events) => void (await http.post("/v1/streams/clicks/events").send(events).expect(202)) };
}

/** Some clicks of batch `i`; bots (which the new filter drops) only once `bots` is set. */
function clicks(i: number, bots: boolean): object[] {
  const out = [{ user: "ann", amount: i }, { user: `u${i % 3}`, amount: 7 }, { user: "bob", amount: 2 * i }];
  if (bots) out.push({ user: "bot", amount: 100 }, { user: "bot", amount: 1 });
  return out;
}

describe("PUT /v1/jobs/:id", () => {
  it("keeps every key's state through a compatible change: frames equal a job that had it from the start", async () => {
    const { http, push } = await setUp();
    await http.post("/v1/jobs").send({ name: "spend", ...before }).expect(201);
    await http.post("/v1/jobs").send({ name: "reference", ...after }).expect(201);
    for (let i = 0; i < 4; i++) {
      await push(clicks(i, false));
      await t!.advance(1000);
    }
    // Cut and not yet run when the change comes: it runs under the old definition, then the job changes.
    await push(clicks(4, false));
    t!.clock.advance(1000);
    const { body } = await http.put("/v1/jobs/spend").send(after).expect(200);
    expect(body).toMatchObject({ id: "spend", status: "running", state: "kept", differences: [] });
    expect(body.definition.steps).toHaveLength(6);
    await t!.advance(0);
    const upgradedAt = (await frames(http, "spend")).at(-1)!.batchTime;
    for (let i = 5; i < 12; i++) {
      await push(clicks(i, true));
      await t!.advance(1000);
    }
    const upgraded = await frames(http, "spend");
    const reference = await frames(http, "reference");
    // No batch lost or doubled: one frame per batch, seqs without a gap.
    expect(upgraded.map((f) => f.seq)).toEqual(upgraded.map((_, i) => i + 1));
    expect(upgraded.map((f) => f.batchTime)).toEqual(reference.map((f) => f.batchTime));
    const afterUpgrade = (fs: Frame[]) => fs.filter((f) => f.batchTime > upgradedAt).map((f) => ({ batchTime: f.batchTime, rows: f.rows }));
    expect(afterUpgrade(upgraded)).toHaveLength(7);
    expect(afterUpgrade(upgraded)).toEqual(afterUpgrade(reference));
    // The window still holds the clicks counted before the change (ann clicked in all of the last 5 batches).
    expect(afterUpgrade(upgraded)[0]!.rows).toContainEqual({ key: "ann", n: 5, spent: 1 + 2 + 3 + 4 + 5, big: false });
    const stored = (await http.get("/v1/jobs/spend").expect(200)).body.definition;
    expect(stored).toEqual({ ...(await http.get("/v1/jobs/reference").expect(200)).body.definition, name: "spend" });
  });

  it("keeps what batches before the change counted under the old definition: none is run again under the new one", async () => {
    const { http, push } = await setUp();
    await http.post("/v1/jobs").send({ name: "spend", ...before }).expect(201);
    for (let i = 0; i < 3; i++) {
      await push(clicks(i, true)); // two bot clicks a batch, counted by the old definition
      await t!.advance(1000);
    }
    await http.put("/v1/jobs/spend").send(after).expect(200);
    await push(clicks(3, true)); // dropped by the new filter
    await t!.advance(1000);
    const all = await frames(http, "spend");
    expect(all.map((f) => f.seq)).toEqual([1, 2, 3, 4]);
    expect(all.at(-1)!.rows).toContainEqual({ key: "bot", n: 6, spent: 303, big: true });
    expect(all.at(-1)!.rows).toContainEqual({ key: "ann", n: 4, spent: 0 + 1 + 2 + 3, big: false });
  });

  it("changes a paused job, which stays paused and then resumes with its state", async () => {
    const { http, push } = await setUp();
    await http.post("/v1/jobs").send({ name: "spend", ...before }).expect(201);
    await push(clicks(0, false));
    await t!.advance(1000);
    await http.post("/v1/jobs/spend/pause").expect(200);
    const { body } = await http.put("/v1/jobs/spend").send(after).expect(200);
    expect(body).toMatchObject({ status: "paused", state: "kept" });
    await http.post("/v1/jobs/spend/resume").expect(200);
    await push(clicks(1, true));
    await t!.advance(1000);
    const all = await frames(http, "spend");
    expect(all.map((f) => f.seq)).toEqual(all.map((_, i) => i + 1));
    expect(all.at(-1)!.rows).toContainEqual({ key: "ann", n: 2, spent: 1, big: false });
    expect(all.at(-1)!.rows).not.toContainEqual(expect.objectContaining({ key: "bot" }));
  });

  it("applies two changes sent at once one after the other, keeping the state through both", async () => {
    const { http, push } = await setUp();
    await http.post("/v1/jobs").send({ name: "spend", ...before }).expect(201);
    await push(clicks(0, false));
    await t!.advance(1000);
    const sorted = { ...after, steps: [...after.steps, { op: "sort", by: "key" }] };
    const [first, second] = await Promise.all([http.put("/v1/jobs/spend").send(after), http.put("/v1/jobs/spend").send(sorted)]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect((await http.get("/v1/jobs/spend").expect(200)).body.definition.steps).toEqual(second.body.definition.steps);
    await push(clicks(1, true));
    await t!.advance(1000);
    const all = await frames(http, "spend");
    expect(all.map((f) => f.seq)).toEqual([1, 2]);
    expect(all.at(-1)!.rows[0]).toEqual({ key: "ann", n: 2, spent: 1, big: false });
    expect(all.at(-1)!.rows.map((r) => (r as { key: string }).key)).toEqual(["ann", "bob", "u0", "u1"]);
  });

  it("refuses a change its state cannot survive, naming each difference, and changes nothing", async () => {
    const { http, push } = await setUp();
    await http.post("/v1/jobs").send({ name: "spend", ...before }).expect(201);
    await push(clicks(0, false));
    await t!.advance(1000);
    const incompatible = {
      input: "clicks",
      steps: [
        { op: "keyBy", key: "amount" },
        { op: "window", length: "10s", slide: "2s" },
        { op: "aggregate", aggs: { n: { fn: "count" } } },
      ],
    };
    const refused = await http.put("/v1/jobs/spend").send(incompatible).expect(409);
    expect(refused.body.error.code).toBe("INCOMPATIBLE_UPGRADE");
    expect(refused.body.error.details.differences.map((d: { path: string }) => d.path)).toEqual(["steps[0].key", "steps[1].length", "steps[1].slide", "steps[2].aggs"]);
    expect(refused.body.error.message).toMatch(/"state": "reset"/);
    const job = (await http.get("/v1/jobs/spend").expect(200)).body;
    expect(job.definition.steps).toEqual(before.steps);
    await push(clicks(1, false));
    await t!.advance(1000);
    expect((await frames(http, "spend")).at(-1)!.rows).toContainEqual({ key: "ann", n: 2, spent: 1 });
  });

  it("with \"state\": \"reset\" runs the new definition from the current input position with empty state", async () => {
    const { http, push } = await setUp();
    await http.post("/v1/jobs").send({ name: "spend", ...before }).expect(201);
    for (let i = 0; i < 3; i++) {
      await push(clicks(i, false));
      await t!.advance(1000);
    }
    const changed = { ...before, steps: [{ op: "keyBy", key: "user" }, { op: "runningAggregate", aggs: { n: { fn: "count" } } }] };
    const { body } = await http.put("/v1/jobs/spend").send({ ...changed, state: "reset" }).expect(200);
    expect(body.state).toBe("reset");
    expect(body.differences.length).toBeGreaterThan(0);
    await push(clicks(3, false));
    await t!.advance(1000);
    const all = await frames(http, "spend");
    expect(all.map((f) => f.seq)).toEqual(all.map((_, i) => i + 1));
    // One frame per batch time, each a batch interval after the one before: no batch cut twice.
    expect(all.map((f) => f.batchTime - all[0]!.batchTime)).toEqual([0, 1000, 2000, 3000]);
    // Only the batch after the change is counted: nothing of before, nothing twice.
    expect(all.at(-1)!.rows).toContainEqual({ key: "ann", n: 1 });
  });

  it("keeps where the job started reading: a change goes on from where it stands", async () => {
    const { http, push } = await setUp();
    await push(clicks(0, false)); // stored before the job: read because it starts from earliest
    await http.post("/v1/jobs").send({ name: "spend", ...before, startFrom: "earliest" }).expect(201);
    await t!.advance(1000);
    const { body } = await http.put("/v1/jobs/spend").send(after).expect(200);
    expect(body.definition.startFrom).toBe("earliest");
    await push(clicks(1, false));
    await t!.advance(1000);
    expect((await frames(http, "spend")).at(-1)!.rows).toContainEqual({ key: "ann", n: 2, spent: 1, big: false });
  });

  it("answers 400 for a bad state or a different name, 404 for an unknown job", async () => {
    const { http } = await setUp();
    await http.post("/v1/jobs").send({ name: "spend", ...before }).expect(201);
    const badState = await http.put("/v1/jobs/spend").send({ ...after, state: "drop" }).expect(400);
    expect(badState.body.error.message).toMatch(/keep, reset/);
    const renamed = await http.put("/v1/jobs/spend").send({ ...after, name: "other" }).expect(400);
    expect(renamed.body.error.message).toMatch(/must be "spend"/);
    await http.put("/v1/jobs/nope").send(after).expect(404);
  });

  it("changes a tenant's job by the name the tenant knows, and only that tenant's", async () => {
    const acme = "acme-admin-0123456789abcdef";
    const globex = "globex-admin-0123456789abcdef";
    const keys = ApiKeys.parse(`acme:admin:${acme},globex:admin:${globex}`, undefined);
    t = await createTestApp({ access: { keys: () => keys, liveTokens: new LiveTokens(), metricsRequireKey: true } });
    await t.app.ready();
    const as = (key: string) => ({ authorization: `Bearer ${key}` });
    const http = supertest(t.app.server);
    await http.post("/v1/streams").set(as(acme)).send({ name: "clicks" }).expect(201);
    await http.post("/v1/jobs").set(as(acme)).send({ name: "spend", ...before }).expect(201);
    const { body } = await http.put("/v1/jobs/spend").set(as(acme)).send(after).expect(200);
    expect(body).toMatchObject({ id: "spend", name: "spend", input: "clicks", state: "kept" });
    expect(body.definition).toMatchObject({ name: "spend", input: "clicks" });
    const refused = await http.put("/v1/jobs/spend").set(as(acme)).send({ ...after, steps: [{ op: "keyBy", key: "page" }, ...after.steps.slice(2)] }).expect(409);
    expect(JSON.stringify(refused.body)).not.toContain("acme~");
    await http.put("/v1/jobs/spend").set(as(globex)).send(after).expect(404);
  });
});
