/**
 * tributary_end_to_end_latency_seconds: for each result frame, the time from its batch's oldest event
 * being stored to the frame being published. On a manual clock the figures are exact.
 */
import supertest from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { metricValue as value } from "../../support/metric-values.js";
import { createTestApp, type TestApp } from "../../support/test-app.js";

let t: TestApp;
const http = () => supertest(t.app.server);
const scrape = async () => (await http().get("/metrics").expect(200)).text;
const send = (page: string) => http().post("/v1/streams/clicks/events").send([{ page }]).expect(202);

beforeEach(async () => {
  t = await createTestApp({ start: 1_000_000 });
  await t.app.ready();
  await http().post("/v1/streams").send({ name: "clicks" }).expect(201);
  await http().post("/v1/jobs").send({ name: "views", input: "clicks", steps: [{ op: "keyBy", key: "page" }, { op: "runningAggregate", aggs: { views: { fn: "count" } } }] }).expect(201);
});
afterEach(() => t.close());

describe("end-to-end latency per job", () => {
  it("observes, per frame, how long its oldest event waited from being stored to the frame being published", async () => {
    expect(value(await scrape(), `tributary_end_to_end_latency_seconds_count{job_name="views"}`)).toBe(0);

    await send("a"); // stored at 1,000,000; the batch of 1,001,000 publishes it
    await t.advance(1000);
    await t.advance(500);
    await send("b"); // stored at 1,001,500, with a later one in the same batch
    await t.advance(250);
    await send("c");
    await t.advance(250); // the batch of 1,002,000
    let text = await scrape();
    expect(value(text, `tributary_end_to_end_latency_seconds_count{job_name="views"}`)).toBe(2);
    expect(value(text, `tributary_end_to_end_latency_seconds_sum{job_name="views"}`)).toBeCloseTo(1.5, 6);
    expect(value(text, `tributary_end_to_end_latency_seconds_bucket{le="0.5",job_name="views"}`)).toBe(1);
    expect(value(text, `tributary_end_to_end_latency_seconds_bucket{le="1",job_name="views"}`)).toBe(2);

    await t.advance(1000); // a batch with no new event adds nothing
    text = await scrape();
    expect(value(text, `tributary_end_to_end_latency_seconds_count{job_name="views"}`)).toBe(2);

    await http().delete("/v1/jobs/views").expect(204);
    expect(await scrape()).not.toContain("tributary_end_to_end_latency_seconds_count{job_name=\"views\"}");
  });
});
