/** The stream and ingest routes, and every bad input they must refuse without storing anything. */
import supertest from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../support/test-app.js";

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp({ bodyLimit: 64 * 1024 });
  await t.app.ready();
});
afterEach(() => t.close());

const http = () => supertest(t.app.server);

async function storedBlocks(stream: string): Promise<number> {
  const def = await t.store.catalog.getStream(stream);
  if (!def) return 0;
  let n = 0;
  for (let p = 0; p < def.partitions; p++) n += await t.store.streams.endOffset(stream, p);
  return n;
}

describe("streams", () => {
  it("declares, lists, shows and deletes a stream", async () => {
    const created = await http().post("/v1/streams").send({ name: "clicks", partitions: 3, keyField: "user" }).expect(201);
    expect(created.headers.location).toBe("/v1/streams/clicks");
    expect(created.body).toMatchObject({ name: "clicks", partitions: 3, keyField: "user" });
    expect((await http().get("/v1/streams").expect(200)).body.streams.map((s: { name: string }) => s.name)).toEqual(["clicks"]);
    expect((await http().get("/v1/streams/clicks").expect(200)).body.partitions).toBe(3);
    await http().delete("/v1/streams/clicks").expect(204);
    expect((await http().get("/v1/streams/clicks").expect(404)).body.error.code).toBe("UNKNOWN_STREAM");
  });

  it.each([
    ["a duplicate name", { name: "dup" }, 409, "STREAM_EXISTS"],
    ["a bad name", { name: "no/slash" }, 400, "INVALID_STREAM"],
    ["zero partitions", { name: "p0", partitions: 0 }, 400, "INVALID_STREAM"],
    ["an unknown field", { name: "x", colour: "red" }, 400, "INVALID_STREAM"],
    ["a key field that is not a field name", { name: "y", keyField: "a b" }, 400, "INVALID_STREAM"],
  ])("refuses %s", async (_label, body, status, code) => {
    await http().post("/v1/streams").send({ name: "dup" }).expect(201);
    const res = await http().post("/v1/streams").send(body).expect(status);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error.message.length).toBeGreaterThan(10);
    expect((await http().get("/v1/streams")).body.streams).toHaveLength(1);
  });

  it("refuses to delete a stream a job reads, and an unknown stream", async () => {
    await http().post("/v1/streams").send({ name: "s" }).expect(201);
    await http().post("/v1/jobs").send({ name: "j", input: "s", steps: [{ op: "aggregate", aggs: { c: { fn: "count" } } }] }).expect(201);
    const inUse = await http().delete("/v1/streams/s").expect(409);
    expect(inUse.body.error).toMatchObject({ code: "STREAM_IN_USE" });
    expect(inUse.body.error.message).toContain("j");
    expect((await http().delete("/v1/streams/nope").expect(404)).body.error.code).toBe("UNKNOWN_STREAM");
  });
});

describe("ingest", () => {
  it("accepts one JSON object, creating the stream on first ingest", async () => {
    const res = await http().post("/v1/streams/new/events").send({ text: "hello" }).expect(202);
    expect(res.body).toMatchObject({ stream: "new", accepted: 1 });
    expect(res.body.blocks).toHaveLength(1);
    expect((await http().get("/v1/streams/new").expect(200)).body.partitions).toBe(2);
    expect(await storedBlocks("new")).toBe(1);
  });

  it("accepts a JSON array, one block per partition touched", async () => {
    const res = await http().post("/v1/streams/s/events").send([{ n: 1 }, { n: 2 }, { n: 3 }]).expect(202);
    expect(res.body.accepted).toBe(3);
    expect(res.body.blocks.map((b: { count: number }) => b.count).reduce((a: number, b: number) => a + b)).toBe(3);
    expect(await storedBlocks("s")).toBe(res.body.blocks.length);
  });

  it("accepts NDJSON, skipping blank lines", async () => {
    const res = await http().post("/v1/streams/s/events").set("content-type", "application/x-ndjson").send('{"n":1}\n\n{"n":2}\n').expect(202);
    expect(res.body.accepted).toBe(2);
  });

  it("routes by the stream's key field, so one key always lands in one partition", async () => {
    await http().post("/v1/streams").send({ name: "k", partitions: 4, keyField: "user" }).expect(201);
    const a = await http().post("/v1/streams/k/events").send([{ user: "ann" }, { user: "ann" }]).expect(202);
    const b = await http().post("/v1/streams/k/events").send([{ user: "ann" }]).expect(202);
    expect(a.body.blocks).toHaveLength(1);
    expect(b.body.blocks[0].partition).toBe(a.body.blocks[0].partition);
  });

  it.each([
    ["malformed JSON", "application/json", '{"n": 1', 400, "INVALID_BODY", /JSON/],
    ["an NDJSON body with a bad line", "application/x-ndjson", '{"n":1}\n{"n":2}\n{oops\n', 400, "INVALID_BODY", /line 3/],
    ["an event that is not an object", "application/json", '[{"n":1}, 5]', 400, "INVALID_EVENT", /event 1/],
    ["an NDJSON line that is not an object", "application/x-ndjson", '{"n":1}\n"text"\n', 400, "INVALID_EVENT", /event 1/],
    ["an empty array", "application/json", "[]", 400, "INVALID_EVENT", /no events/],
    ["an empty body", "application/json", "", 400, "INVALID_BODY", /.+/],
    ["an unsupported content type", "text/csv", "a,b", 415, "UNSUPPORTED_MEDIA_TYPE", /application\/x-ndjson/],
    ["a body over the size limit", "application/json", JSON.stringify([{ text: "x".repeat(70 * 1024) }]), 413, "BODY_TOO_LARGE", /smaller requests/],
  ])("refuses %s and stores nothing", async (_label, type, body, status, code, message) => {
    await http().post("/v1/streams").send({ name: "s" }).expect(201);
    const res = await http().post("/v1/streams/s/events").set("content-type", type).send(body).expect(status);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error.message).toMatch(message);
    expect(await storedBlocks("s")).toBe(0);
  });

  it("names a refused NDJSON event by its line", async () => {
    const res = await http().post("/v1/streams/s/events").set("content-type", "application/x-ndjson").send('{"n":1}\n\n[1,2]\n').expect(400);
    expect(res.body.error).toMatchObject({ code: "INVALID_EVENT", details: { index: 1, line: 3 } });
    expect(res.body.error.message).toMatch(/^NDJSON line 3: /);
  });

  it("counts ingest requests by outcome", async () => {
    await http().post("/v1/streams/c/events").send({ n: 1 }).expect(202);
    await http().post("/v1/streams/c/events").send([5]).expect(400);
    await http().post("/v1/streams/never/events").send([5]).expect(400);
    const text = await t.metrics.registry.getSingleMetricAsString("tributary_ingest_requests_total");
    expect(text).toContain('tributary_ingest_requests_total{stream="c",outcome="accepted"} 1');
    expect(text).toContain('tributary_ingest_requests_total{stream="c",outcome="rejected"} 1');
    expect(text).toContain('tributary_ingest_requests_total{stream="(unknown)",outcome="rejected"} 1');
  });

  it("stores a retry with the same Idempotency-Key once, and never hides other events sent under a reused key", async () => {
    const send = (events: object[]) => http().post("/v1/streams/idem/events").set("idempotency-key", "k-1").send(events).expect(202);
    const first = await send([{ n: 1 }, { n: 2 }]);
    const retry = await send([{ n: 1 }, { n: 2 }]);
    expect(retry.headers["idempotent-replayed"]).toBe("true");
    expect(retry.body.blocks).toEqual(first.body.blocks);
    const reused = await send([{ n: 3 }]);
    expect(reused.body.replayed).toBe(false);
    expect(await storedBlocks("idem")).toBe(first.body.blocks.length + 1);
  });

  it("stores an event with an id the stream has seen once, as one block per event, whatever request carries it", async () => {
    await http().post("/v1/streams").send({ name: "orders", partitions: 2, idField: "id" }).expect(201);
    const first = (await http().post("/v1/streams/orders/events").send([{ id: "a" }, { id: 1 }, { id: "b" }]).expect(202)).body;
    expect(first).toMatchObject({ accepted: 3, duplicates: 0, replayed: false });
    expect(first.blocks.map((b: { count: number }) => b.count)).toEqual([1, 1, 1]);
    // "1" is another id than 1; "a" repeated inside one request counts once.
    const second = (await http().post("/v1/streams/orders/events").send([{ id: "b" }, { id: "1" }, { id: "a" }, { id: "a" }]).expect(202)).body;
    expect(second).toMatchObject({ accepted: 4, duplicates: 3, replayed: false });
    expect(await storedBlocks("orders")).toBe(4);
    const again = await http().post("/v1/streams/orders/events").send([{ id: "b" }]).expect(202);
    expect(again.body).toMatchObject({ duplicates: 1, replayed: true });
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(await storedBlocks("orders")).toBe(4);
  });

  it("takes an id of control characters up to the limit (it is stored as a digest)", async () => {
    await http().post("/v1/streams").send({ name: "orders", idField: "id" }).expect(201);
    const id = "\u0001".repeat(256);
    expect((await http().post("/v1/streams/orders/events").send([{ id }]).expect(202)).body.duplicates).toBe(0);
    expect((await http().post("/v1/streams/orders/events").send([{ id }]).expect(202)).body.duplicates).toBe(1);
  });

  it.each([
    ["no id", [{ amount: 1 }], /event 0 has no "id" field/],
    ["an empty id", [{ id: "x" }, { id: "" }], /event 1 has no "id" field/],
    ["an id that is an object", [{ id: { n: 1 } }], /event 0 has no "id" field/],
    ["an id over 256 bytes", [{ id: "é".repeat(129) }], /1-256 bytes/],
    ["a number that is not finite", [{ id: 1 }, { id: null }], /event 1 has no "id" field/],
  ])("refuses an event with %s on a stream with an idField, storing nothing", async (_label, events, message) => {
    await http().post("/v1/streams").send({ name: "orders", idField: "id" }).expect(201);
    const res = await http().post("/v1/streams/orders/events").send(events).expect(400);
    expect(res.body.error.code).toBe("INVALID_EVENT");
    expect(res.body.error.message).toMatch(message);
    expect(await storedBlocks("orders")).toBe(0);
  });

  it("does not create a stream for a rejected first ingest", async () => {
    await http().post("/v1/streams/fresh/events").send([{ n: 1 }, "bad"]).expect(400);
    await http().get("/v1/streams/fresh").expect(404);
  });

  it("refuses events without the stream's key field, naming the event", async () => {
    await http().post("/v1/streams").send({ name: "k", keyField: "user" }).expect(201);
    const res = await http().post("/v1/streams/k/events").send([{ user: "a" }, { other: 1 }]).expect(400);
    expect(res.body.error).toMatchObject({ code: "INVALID_EVENT", details: { index: 1 } });
    expect(res.body.error.message).toContain('"user"');
    expect(await storedBlocks("k")).toBe(0);
  });

  it("refuses a bad stream name in the path", async () => {
    const res = await http().post("/v1/streams/bad%20name/events").send({ n: 1 }).expect(400);
    expect(res.body.error.code).toBe("INVALID_STREAM");
  });
});

describe("health, readiness, metrics, unknown routes", () => {
  it("answers /healthz and /readyz", async () => {
    expect((await http().get("/healthz").expect(200)).body).toEqual({ status: "ok" });
    expect((await http().get("/readyz").expect(200)).body).toEqual({ status: "ready", recovery: { claimed: 0, recovering: 0, allBack: true } });
  });

  it("exposes Prometheus metrics that count ingested events", async () => {
    await http().post("/v1/streams/m/events").send([{ a: 1 }, { a: 2 }]).expect(202);
    const res = await http().get("/metrics").expect(200);
    expect(res.headers["content-type"]).toContain("text/plain");
    expect(res.text).toMatch(/tributary_events_ingested_total\{stream="m"\} 2/);
  });

  it("answers an unknown route with NOT_FOUND in the error shape", async () => {
    const res = await http().get("/v1/nothing").expect(404);
    expect(res.body.error.code).toBe("NOT_FOUND");
  });
});
