/**
 * Checkpoint size and state size per job on GET /metrics, and the log line an operator reads when a
 * checkpoint cannot be written.
 */
import supertest from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { openMemoryStore } from "../../../src/store/memory/open-memory-store.js";
import { StoreUnavailableError } from "../../../src/store/types.js";
import { captureLog, WARN } from "../../support/log-lines.js";
import { metricValue as value } from "../../support/metric-values.js";
import { createTestApp, type TestApp } from "../../support/test-app.js";

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const counting = (name: string) => ({ name, input: "clicks", steps: [{ op: "keyBy", key: "page" }, { op: "runningAggregate", aggs: { views: { fn: "count" } } }] });
const filtering = { name: "ones", input: "clicks", steps: [{ op: "filter", where: "page == 'p1'" }] };

async function start(options: Parameters<typeof createTestApp>[0] = {}) {
  t = await createTestApp(options);
  await t.app.ready();
  const http = supertest(t.app.server);
  await http.post("/v1/streams").send({ name: "clicks" }).expect(201);
  return { t, http, scrape: async () => (await http.get("/metrics").expect(200)).text };
}

/** Ingests `keys` distinct pages, then runs batches until the job has written one more checkpoint. */
async function checkpointWith(app: TestApp, http: ReturnType<typeof supertest>, keys: number, firstKey = 0) {
  await http.post("/v1/streams/clicks/events").send(Array.from({ length: keys }, (_, i) => ({ page: `p${firstKey + i}` }))).expect(202);
  for (let i = 0; i < 10; i++) await app.advance(1000);
}

describe("checkpoint and state size metrics", () => {
  it("tell each checkpoint's bytes and the state's bytes, which grow with the keys held", async () => {
    const { t, http, scrape } = await start();
    await http.post("/v1/jobs").send(counting("views")).expect(201);
    await http.post("/v1/jobs").send(filtering).expect(201);
    let text = await scrape();
    expect(value(text, `tributary_checkpoint_bytes_count{job_name="views"}`)).toBe(0);
    expect(value(text, `tributary_state_bytes{job_name="views"}`)).toBeUndefined();

    await checkpointWith(t, http, 10);
    text = await scrape();
    expect(value(text, `tributary_checkpoint_bytes_count{job_name="views"}`)).toBe(1);
    const small = value(text, `tributary_state_bytes{job_name="views"}`)!;
    expect(small).toBeGreaterThan(10 * 3); // ten keys and their counts
    expect(value(text, `tributary_checkpoint_bytes_sum{job_name="views"}`)).toBe(small);
    expect(value(text, `tributary_state_bytes{job_name="ones"}`)).toBe(0); // no state: counters alone

    await checkpointWith(t, http, 1000, 10);
    text = await scrape();
    expect(value(text, `tributary_checkpoint_bytes_count{job_name="views"}`)).toBe(2);
    const large = value(text, `tributary_state_bytes{job_name="views"}`)!;
    expect(large).toBeGreaterThan(small * 50);
    expect(value(text, `tributary_checkpoint_bytes_sum{job_name="views"}`)).toBe(small + large);

    await http.delete("/v1/jobs/views").expect(204);
    text = await scrape();
    expect(text).not.toMatch(/tributary_(state|checkpoint)_bytes\w*\{job_name="views"/);
  });

  it("logs a checkpoint that could not be written, with its job, batch and cause, and counts it failed", async () => {
    const store = openMemoryStore();
    const save = store.checkpoints.save.bind(store.checkpoints);
    let refuse = true;
    store.checkpoints.save = async (...args) => {
      if (refuse) throw new StoreUnavailableError("the disk under the checkpoints is full");
      return save(...args);
    };
    const log = captureLog();
    const { t, http, scrape } = await start({ store, logger: log.logger });
    await http.post("/v1/jobs").send(counting("views")).expect(201);
    await checkpointWith(t, http, 5);
    const failed = log.named("checkpoint failed");
    expect(failed).toEqual([expect.objectContaining({ level: WARN, job: "views", when: "batch", batchTime: expect.any(Number), lastComplete: null, cause: expect.stringContaining("the disk under the checkpoints is full") })]);
    expect(value(await scrape(), `tributary_checkpoints_total{job_name="views",outcome="failed"}`)).toBe(1);

    refuse = false;
    await checkpointWith(t, http, 5, 5);
    expect(log.named("checkpoint failed")).toHaveLength(1);
    expect(value(await scrape(), `tributary_checkpoints_total{job_name="views",outcome="completed"}`)).toBe(1);
  });
});
