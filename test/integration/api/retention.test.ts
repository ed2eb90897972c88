/**
 * Retention and replay over HTTP: a stream's retention as declared and shown, what it retains per
 * partition, a registration answer that names the history a job will read (and warns when the time
 * asked for is older than what is retained), and refusals that say how to write what was meant.
 */
import supertest from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../support/test-app.js";

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp();
  await t.app.ready();
});
afterEach(() => t.close());

const http = () => supertest(t.app.server);
const counts = (name: string, startFrom: unknown) => ({ name, input: "clicks", startFrom, steps: [{ op: "keyBy", key: "user" }, { op: "aggregate", aggs: { n: { fn: "count" } } }] });

describe("stream retention", () => {
  it("shows the declared retention (or the server's default) and what each partition retains", async () => {
    await http().post("/v1/streams").send({ name: "clicks", partitions: 2, retention: { time: "7d", bytes: "1GiB" } }).expect(201);
    await http().post("/v1/streams/clicks/events").send([{ user: "a" }, { user: "b" }, { user: "c" }]).expect(202);
    const before = Date.now();
    const view = (await http().get("/v1/streams/clicks").expect(200)).body;
    expect(view.retention).toEqual({ time: "7d", bytes: "1GiB" });
    expect(view.retained.events).toBe(3);
    expect(view.retained.partitions).toHaveLength(2);
    for (const p of view.retained.partitions) {
      expect(p).toMatchObject({ firstOffset: 0, lastOffset: 0, endOffset: 1 });
      expect(p.bytes).toBeGreaterThan(0);
      expect(Date.parse(p.oldestIngestedAt)).toBeLessThanOrEqual(before);
    }
    await http().post("/v1/streams/other/events").send([{ user: "a" }]).expect(202);
    expect((await http().get("/v1/streams/other").expect(200)).body.retention).toEqual({ time: "24h", bytes: "64MiB" });
  });

  it.each([
    [{ time: "7 days" }, 'retention.time "7 days" is not a duration: write a duration such as "30m", "24h" or "7d"'],
    [{ bytes: "lots" }, 'retention.bytes "lots" is not a size'],
    [{ size: "1GiB" }, 'retention has unknown field(s) size: it takes "time" and "bytes"'],
    [{}, 'retention needs "time", "bytes" or both (or write "forever")'],
    ["never", 'retention must be "forever" or an object such as {"time": "7d", "bytes": "1GiB"}'],
  ])("refuses the retention %j, saying how to write it", async (retention, message) => {
    const refused = await http().post("/v1/streams").send({ name: "clicks", retention }).expect(400);
    expect(refused.body.error.code).toBe("INVALID_STREAM");
    expect(refused.body.error.message).toContain(message);
    await http().get("/v1/streams/clicks").expect(404);
  });
});

describe("startFrom", () => {
  it("answers a registration with the history the job will read, and warns when the time is older than what is retained", async () => {
    await http().post("/v1/streams").send({ name: "clicks", partitions: 1 }).expect(201);
    await http().post("/v1/streams/clicks/events").send([{ user: "a" }, { user: "b" }]).expect(202);
    await http().post("/v1/streams/clicks/events").send([{ user: "c" }]).expect(202);
    await t.store.streams.trim("clicks", 0, 1); // as a retention would have

    const earliest = (await http().post("/v1/jobs").send(counts("earliest", "earliest")).expect(201)).body;
    expect(earliest.reads).toMatchObject({ startFrom: "earliest", events: 1, partitions: [{ stream: "clicks", partition: 0, from: 1, to: 2, events: 1 }] });
    expect(earliest.warnings).toEqual([]);
    const old = (await http().post("/v1/jobs").send(counts("old", { time: "2020-01-01T00:00:00Z" })).expect(201)).body;
    expect(old.reads.events).toBe(1);
    expect(old.warnings).toHaveLength(1);
    expect(old.warnings[0]).toMatch(/startFrom\.time 2020-01-01T00:00:00Z is older than what stream "clicks" retains \(partition 0\): it retains events ingested from .* on, so the job reads from its oldest retained block/);
    const latest = (await http().post("/v1/jobs").send(counts("latest", "latest")).expect(201)).body;
    expect(latest.reads).toMatchObject({ events: 0, partitions: [{ from: 2, to: 2 }] });
    const future = (await http().post("/v1/jobs").send(counts("future", { time: "2999-01-01T00:00:00Z" })).expect(201)).body;
    expect(future.reads).toMatchObject({ events: 0, partitions: [{ from: 2, to: 2 }] });
    expect(future.warnings).toEqual([]);
  });

  it.each([
    [{ time: "yesterday" }, "startFrom.time: must be an ISO-8601 time with a zone"],
    ["beginning", 'startFrom: must be "latest", "earliest" or {"time": "<ISO-8601 time>"}'],
    [{ at: "2026-01-01T00:00:00Z" }, 'startFrom: must be "latest", "earliest" or {"time": "<ISO-8601 time>"}'],
  ])("refuses startFrom %j, saying how to write it", async (startFrom, message) => {
    await http().post("/v1/streams").send({ name: "clicks" }).expect(201);
    const refused = await http().post("/v1/jobs").send(counts("j", startFrom)).expect(400);
    expect(refused.body.error.code).toBe("INVALID_JOB");
    expect(refused.body.error.message).toContain(message);
  });
});
