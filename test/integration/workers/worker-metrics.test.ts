/**
 * Each live worker thread's heap in use and event-loop utilization on GET /metrics, read from real
 * threads of a real pool; a thread that died has no series left.
 */
import supertest from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { createMetrics } from "../../../src/metrics/metrics.js";
import { metricSeries } from "../../support/metric-values.js";
import { createTestApp, type TestApp } from "../../support/test-app.js";
import { poolsClosedAfterEach } from "../../support/worker-pools.js";

const pool = poolsClosedAfterEach();
let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** worker index -> value of one per-worker gauge. */
function perWorker(text: string, name: string): Map<string, number> {
  const byWorker = new Map<string, number>();
  for (const [series, v] of metricSeries(text, name)) byWorker.set(/worker="(\d+)"/.exec(series)![1]!, v);
  return byWorker;
}

describe("worker thread metrics", () => {
  it("tell each live worker's heap and how busy its event loop was since the previous scrape", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const workers = await pool({ workers: 2, metrics });
    t = await createTestApp({ runner: workers, metrics });
    await t.app.ready();
    const http = supertest(t.app.server);
    const scrape = async () => (await http.get("/metrics").expect(200)).text;
    await http.post("/v1/streams").send({ name: "clicks", partitions: 2 }).expect(201);
    await http.post("/v1/jobs").send({ name: "views", input: "clicks", steps: [{ op: "keyBy", key: "page" }, { op: "runningAggregate", aggs: { n: { fn: "count" } } }] }).expect(201);

    let text = await scrape();
    const heaps = perWorker(text, "tributary_worker_heap_used_bytes");
    expect([...heaps.keys()].sort()).toEqual(["0", "1"]);
    for (const bytes of heaps.values()) {
      expect(bytes).toBeGreaterThan(1024 * 1024);
      expect(bytes).toBeLessThan(4 * 1024 ** 3);
    }
    expect([...perWorker(text, "tributary_worker_event_loop_utilization").keys()].sort()).toEqual(["0", "1"]);

    // Each worker's thread is blocked 1.5 s by every map task: its loop is busy nearly all the time
    // from this scrape to the next.
    for (const w of [0, 1]) await workers.inject(w, { kind: "slow", delayMs: 1500 });
    await scrape();
    await http.post("/v1/streams/clicks/events").send(Array.from({ length: 20 }, (_, i) => ({ page: `p${i}` }))).expect(202);
    await t.advance(1000);
    text = await scrape();
    const busy = Math.max(...perWorker(text, "tributary_worker_event_loop_utilization").values());
    expect(busy).toBeGreaterThan(0.5);
    expect(busy).toBeLessThanOrEqual(1);

    // Quiet from then on: the next scrape's figure covers only the quiet time.
    await new Promise((resolve) => setTimeout(resolve, 500));
    text = await scrape();
    expect(Math.max(...perWorker(text, "tributary_worker_event_loop_utilization").values())).toBeLessThan(0.5);

    for (const w of [0, 1]) await workers.inject(w, { kind: "slow", delayMs: 0 });
    await workers.terminateWorker(0);
    await workers.whenRecovered();
    text = await scrape();
    const after = [...perWorker(text, "tributary_worker_heap_used_bytes").keys()];
    expect(after).not.toContain("0");
    expect(after).toContain("1");
    expect([...perWorker(text, "tributary_worker_event_loop_utilization").keys()]).not.toContain("0");
  });
});
