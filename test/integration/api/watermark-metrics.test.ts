/**
 * tributary_watermark_lag_seconds: how far an event-time job's watermark (largest event time seen,
 * less the allowed lateness) trails the clock after each batch. On a manual clock the figures are exact.
 */
import supertest from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { metricValue as value } from "../../support/metric-values.js";
import { createTestApp, type TestApp } from "../../support/test-app.js";

let t: TestApp;
const http = () => supertest(t.app.server);
const scrape = async () => (await http().get("/metrics").expect(200)).text;
const lag = async (job: string) => value(await scrape(), `tributary_watermark_lag_seconds{job_name="${job}"}`);

beforeEach(async () => {
  t = await createTestApp({ start: 1_000_000 });
  await t.app.ready();
  await http().post("/v1/streams").send({ name: "clicks", eventTimeField: "ts" }).expect(201);
  await http().post("/v1/jobs").send({ name: "per-minute", input: "clicks", steps: [{ op: "eventWindow", length: "1m", lateness: "5s", aggs: { n: { fn: "count" } } }] }).expect(201);
  await http().post("/v1/jobs").send({ name: "views", input: "clicks", steps: [{ op: "keyBy", key: "page" }, { op: "runningAggregate", aggs: { n: { fn: "count" } } }] }).expect(201);
});
afterEach(() => t.close());

describe("watermark lag per event-time job", () => {
  it("is the clock less the watermark after the last batch, only for event-time jobs, gone with the job", async () => {
    await t.advance(1000);
    expect(await lag("per-minute")).toBeUndefined(); // no event yet: no watermark

    await http().post("/v1/streams/clicks/events").send([{ page: "a", ts: 985_000 }, { page: "b", ts: 990_000 }]).expect(202);
    await t.advance(1000); // the batch of 1,002,000; watermark 990,000 - 5,000
    expect(await lag("per-minute")).toBe(17);
    expect(await lag("views")).toBeUndefined();

    await http().post("/v1/streams/clicks/events").send([{ page: "c", ts: 1_001_500 }]).expect(202);
    await t.advance(1000); // the batch of 1,003,000; watermark 1,001,500 - 5,000
    expect(await lag("per-minute")).toBe(6.5);
    await t.advance(1000); // no new event: the watermark stays, the clock moves on
    expect(await lag("per-minute")).toBe(7.5);

    await http().delete("/v1/jobs/per-minute").expect(204);
    expect(await lag("per-minute")).toBeUndefined();
  });
});
