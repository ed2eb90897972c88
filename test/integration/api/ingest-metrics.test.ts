/**
 * Per stream on GET /metrics: the bytes of events stored, and refused ingest requests by the error
 * code they were answered with (each counted from 0 while the stream exists, removed with it).
 */
import supertest from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { INGEST_ERROR_CODES } from "../../../src/metrics/label-values.js";
import { metricValue as value } from "../../support/metric-values.js";
import { createTestApp, type TestApp } from "../../support/test-app.js";

let t: TestApp;
const http = () => supertest(t.app.server);
const scrape = async () => (await http().get("/metrics").expect(200)).text;

beforeEach(async () => {
  t = await createTestApp();
  await t.app.ready();
  await http().post("/v1/streams").send({ name: "clicks", partitions: 1 }).expect(201);
});
afterEach(() => t.close());

describe("ingest metrics per stream", () => {
  it("count the bytes stored: each block's events as JSON, a retried request not again", async () => {
    expect(value(await scrape(), `tributary_ingested_bytes_total{stream="clicks"}`)).toBe(0);
    const events = [{ page: "home" }, { page: "a-much-longer-page-name", n: 12345 }];
    await http().post("/v1/streams/clicks/events").set("idempotency-key", "k1").send(events).expect(202);
    const stored = Buffer.byteLength(JSON.stringify(events)); // one partition: one block, [a,b]
    expect(value(await scrape(), `tributary_ingested_bytes_total{stream="clicks"}`)).toBe(stored);

    await http().post("/v1/streams/clicks/events").set("idempotency-key", "k1").send(events).expect(202);
    await http().post("/v1/streams/clicks/events").set("content-type", "application/x-ndjson").send('{"page":"x"}\n').expect(202);
    expect(value(await scrape(), `tributary_ingested_bytes_total{stream="clicks"}`)).toBe(stored + '[{"page":"x"}]'.length);
  });

  it("count refused requests by error code, each from 0, and forget them with the stream", async () => {
    let text = await scrape();
    for (const code of INGEST_ERROR_CODES) expect(value(text, `tributary_ingest_errors_total{stream="clicks",code="${code}"}`)).toBe(0);

    await http().post("/v1/streams/clicks/events").send([{ page: "a" }, 42]).expect(400);
    await http().post("/v1/streams/clicks/events").send(["not an object"]).expect(400);
    await http().post("/v1/streams/clicks/events").set("content-type", "application/json").send("{not json").expect(400);
    await http().post("/v1/streams/clicks/events").set("content-type", "text/csv").send("a,b").expect(415);
    await http().post("/v1/streams/clicks/events?bogus=1").send({ page: "a" }).expect(400);
    text = await scrape();
    expect(value(text, `tributary_ingest_errors_total{stream="clicks",code="INVALID_EVENT"}`)).toBe(2);
    expect(value(text, `tributary_ingest_errors_total{stream="clicks",code="INVALID_BODY"}`)).toBe(1);
    expect(value(text, `tributary_ingest_errors_total{stream="clicks",code="UNSUPPORTED_MEDIA_TYPE"}`)).toBe(1);
    expect(value(text, `tributary_ingest_errors_total{stream="clicks",code="INVALID_REQUEST"}`)).toBe(1);
    expect(value(text, `tributary_ingest_errors_total{stream="clicks",code="OVERLOADED"}`)).toBe(0);
    expect(value(text, `tributary_ingested_bytes_total{stream="clicks"}`)).toBe(0); // nothing of them was stored

    // A refused first ingest creates no stream: it is counted under "(unknown)".
    await http().post("/v1/streams/nowhere/events").send([7]).expect(400);
    text = await scrape();
    expect(value(text, `tributary_ingest_errors_total{stream="(unknown)",code="INVALID_EVENT"}`)).toBe(1);
    expect(text).not.toContain('stream="nowhere"');

    await http().delete("/v1/streams/clicks").expect(204);
    text = await scrape();
    expect(text).not.toMatch(/tributary_ingest(ed_bytes|_errors)_total\{stream="clicks"/);
  });
});
