/**
 * The store's calls on GET /metrics: how long each operation takes, and how many failed, by operation.
 */
import supertest from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { openMemoryStore } from "../../../src/store/memory/open-memory-store.js";
import { StoreUnavailableError } from "../../../src/store/types.js";
import { metricValue as value } from "../../support/metric-values.js";
import { createTestApp, type TestApp } from "../../support/test-app.js";

let t: TestApp;
afterEach(() => t.close());

describe("store operation metrics", () => {
  it("time every call by operation and count the ones that fail", async () => {
    const store = openMemoryStore();
    const append = store.streams.append.bind(store.streams);
    let refuse = false;
    store.streams.append = async (...args) => {
      if (refuse) throw new StoreUnavailableError("the store is away");
      return append(...args);
    };
    t = await createTestApp({ store });
    await t.app.ready();
    const http = supertest(t.app.server);
    const scrape = async () => (await http.get("/metrics").expect(200)).text;
    await http.post("/v1/streams").send({ name: "clicks", partitions: 1 }).expect(201);
    await http.post("/v1/jobs").send({ name: "views", input: "clicks", steps: [{ op: "keyBy", key: "page" }, { op: "runningAggregate", aggs: { n: { fn: "count" } } }] }).expect(201);
    const before = await scrape();
    const appendsBefore = value(before, `tributary_store_operation_seconds_count{operation="streams.append"}`) ?? 0;
    const recordsBefore = value(before, `tributary_store_operation_seconds_count{operation="batches.record"}`) ?? 0;

    await http.post("/v1/streams/clicks/events").send([{ page: "a" }, { page: "b" }]).expect(202);
    await t.advance(1000);
    let text = await scrape();
    expect(value(text, `tributary_store_operation_seconds_count{operation="streams.append"}`)).toBe(appendsBefore + 1);
    expect(value(text, `tributary_store_operation_seconds_count{operation="batches.record"}`)).toBe(recordsBefore + 1);
    expect(value(text, `tributary_store_operation_seconds_count{operation="results.append"}`)).toBeGreaterThanOrEqual(1);
    expect(value(text, `tributary_store_operation_seconds_count{operation="catalog.createJob"}`)).toBe(1);
    expect(value(text, `tributary_store_errors_total{operation="streams.append"}`)).toBe(0);
    expect(value(text, `tributary_store_errors_total{operation="batches.record"}`)).toBe(0);

    refuse = true;
    await http.post("/v1/streams/clicks/events").send([{ page: "c" }]).expect(503);
    await http.post("/v1/streams/clicks/events").send([{ page: "d" }]).expect(503);
    text = await scrape();
    expect(value(text, `tributary_store_errors_total{operation="streams.append"}`)).toBe(2);
    expect(value(text, `tributary_store_operation_seconds_count{operation="streams.append"}`)).toBe(appendsBefore + 3);
    expect(value(text, `tributary_store_errors_total{operation="batches.record"}`)).toBe(0);
  });
});
