/**
 * GET /metrics as an SRE alerts on it: every job's series under `job_name`, counters at 0 from the
 * start, the figures of where a job stands (lag, delay, checkpoints, status), series of deleted jobs
 * and streams gone, and an exposition Prometheus's own checker finds nothing wrong with.
 */
import supertest from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../support/test-app.js";
import { hasBinary, promtool, PROMTOOL_MISSING } from "../../support/promtool.js";

let t: TestApp;
const PROMTOOL = hasBinary("promtool");
const http = () => supertest(t.app.server);

const counting = (name: string, input = "clicks") => ({ name, input, steps: [{ op: "keyBy", key: "page" }, { op: "runningAggregate", aggs: { views: { fn: "count" } } }] });

async function scrape(): Promise<string> {
  return (await http().get("/metrics").expect(200)).text;
}

/** The value of one series, or undefined when it is not exposed. */
function value(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

beforeEach(async () => {
  t = await createTestApp();
  await t.app.ready();
  await http().post("/v1/streams").send({ name: "clicks" }).expect(201);
  await http().post("/v1/jobs").send(counting("views")).expect(201);
  await http().post("/v1/jobs").send(counting("pages")).expect(201);
});
afterEach(() => t.close());

describe("GET /metrics", () => {
  it("starts every counter of a known job and stream at 0, and labels jobs job_name", async () => {
    const text = await scrape();
    for (const job of ["views", "pages"]) {
      expect(value(text, `tributary_batches_total{job_name="${job}"}`)).toBe(0);
      expect(value(text, `tributary_output_rows_total{job_name="${job}"}`)).toBe(0);
      expect(value(text, `tributary_checkpoints_total{job_name="${job}",outcome="failed"}`)).toBe(0);
      expect(value(text, `tributary_scheduling_delay_seconds_count{job_name="${job}"}`)).toBe(0);
      expect(value(text, `tributary_job_status{job_name="${job}",status="running"}`)).toBe(1);
      expect(value(text, `tributary_job_status{job_name="${job}",status="failed"}`)).toBe(0);
    }
    expect(value(text, `tributary_events_ingested_total{stream="clicks"}`)).toBe(0);
    expect(value(text, `tributary_ingest_requests_total{stream="clicks",outcome="unavailable"}`)).toBe(0);
    expect(value(text, `tributary_worker_restarts_total{reason="uncaught error"}`)).toBe(0);
    expect(text).not.toMatch(/[{,]job="/);
  });

  it("tells each job's lag in events, its batches, delays, output and checkpoints", async () => {
    await http().post("/v1/streams/clicks/events").send([{ page: "a" }, { page: "b" }, { page: "a" }]).expect(202);
    await http().post("/v1/streams/clicks/events").send({ page: "c" }).expect(202);
    let text = await scrape();
    expect(value(text, `tributary_job_lag_events{job_name="views",stream="clicks"}`)).toBe(4);
    expect(value(text, `tributary_job_lag_events{job_name="pages",stream="clicks"}`)).toBe(4);

    await t.advance(1000);
    text = await scrape();
    expect(value(text, `tributary_job_lag_events{job_name="views",stream="clicks"}`)).toBe(0);
    expect(value(text, `tributary_batches_total{job_name="views"}`)).toBe(1);
    expect(value(text, `tributary_batch_events_total{job_name="views"}`)).toBe(4);
    expect(value(text, `tributary_output_rows_total{job_name="views"}`)).toBe(3);
    expect(value(text, `tributary_scheduling_delay_seconds_count{job_name="views"}`)).toBe(1);
    expect(value(text, `tributary_total_delay_seconds_count{job_name="views"}`)).toBe(1);
    expect(value(text, `tributary_batches_waiting{job_name="views"}`)).toBe(0);
    expect(value(text, `tributary_job_delay_seconds{job_name="views"}`)).toBe(0);
    expect(value(text, `tributary_batch_interval_seconds{job_name="views"}`)).toBe(1);
    expect(value(text, `tributary_job_stalled{job_name="views"}`)).toBe(0);
    expect(value(text, `tributary_state_keys{job_name="views"}`)).toBe(3);

    for (let i = 0; i < 10; i++) await t.advance(1000);
    text = await scrape();
    expect(value(text, `tributary_checkpoints_total{job_name="views",outcome="completed"}`)).toBe(1);
    expect(value(text, `tributary_checkpoint_seconds_count{job_name="views"}`)).toBe(1);
    expect(value(text, `tributary_last_checkpoint_age_seconds{job_name="views"}`)).toBeLessThan(10);
  });

  it("shows a paused job's status", async () => {
    await http().post("/v1/jobs/pages/pause").expect(200);
    const text = await scrape();
    expect(value(text, `tributary_job_status{job_name="pages",status="paused"}`)).toBe(1);
    expect(value(text, `tributary_job_status{job_name="pages",status="running"}`)).toBe(0);
  });

  it("removes the series of a deleted job and of a deleted stream", async () => {
    await http().post("/v1/streams/clicks/events").send([{ page: "a" }]).expect(202);
    await t.advance(1000);
    expect(await scrape()).toContain('job_name="views"');

    await http().delete("/v1/jobs/views").expect(204);
    let text = await scrape();
    expect(text).not.toContain('job_name="views"');
    expect(value(text, `tributary_batches_total{job_name="pages"}`)).toBe(1);

    await http().delete("/v1/jobs/pages").expect(204);
    await http().delete("/v1/streams/clicks").expect(204);
    text = await scrape();
    expect(text).not.toContain('job_name="');
    expect(text).not.toContain('stream="clicks"');
  });

  it.skipIf(!PROMTOOL)(PROMTOOL ? "passes promtool check metrics" : `passes promtool check metrics (skipped: ${PROMTOOL_MISSING})`, async () => {
    await t.close();
    // With the process metrics too, as the server exposes them.
    t = await createTestApp({ defaultMetrics: true });
    await t.app.ready();
    await http().post("/v1/streams").send({ name: "clicks" }).expect(201);
    await http().post("/v1/jobs").send(counting("views")).expect(201);
    await http().post("/v1/streams/clicks/events").send([{ page: "a" }]).expect(202);
    await t.advance(1000);
    const { status, output } = promtool(["check", "metrics"], await scrape());
    expect(output).toBe("");
    expect(status).toBe(0);
  });
});
