/**
 * Live subscribers on GET /metrics: the bytes waiting in their connections, and every subscription that
 * ended, by why (client closed, fell behind, job ended, ...), each reason counted from 0 per job.
 */
import type { AddressInfo } from "node:net";
import supertest from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import type { MapResult, MapTask } from "../../../src/engine/task-runner.js";
import { SUBSCRIBER_CLOSE_REASONS } from "../../../src/metrics/label-values.js";
import { InThreadRunner } from "../../../src/workers/in-thread-runner.js";
import { metricValue as value } from "../../support/metric-values.js";
import { createTestApp, type TestApp } from "../../support/test-app.js";
import { LiveClient } from "../../support/ws-client.js";

/** Fails every map task of the job named `failing`. */
class FailingRunner extends InThreadRunner {
  override async map(task: MapTask): Promise<MapResult> {
    if (task.jobId === "failing") throw new Error("partition 0 cannot be read");
    return super.map(task);
  }
}

let t: TestApp;
const clients: LiveClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await t.close();
});

const totals = (name: string) => ({ name, input: "words", steps: [{ op: "keyBy", key: "w" }, { op: "runningAggregate", aggs: { count: { fn: "count" } } }] });

async function start(options: Parameters<typeof createTestApp>[0] = {}) {
  t = await createTestApp({ runner: new FailingRunner(), ...options });
  await t.app.listen({ port: 0, host: "127.0.0.1" });
  const http = supertest(t.app.server);
  await http.post("/v1/streams").send({ name: "words" }).expect(201);
  const subscribe = async (job: string) => {
    const client = new LiveClient(`ws://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/v1/jobs/${job}/results/live`);
    clients.push(client);
    await client.until(() => client.messages.length >= 1, 30_000, "hello");
    return client;
  };
  return { http, subscribe, scrape: async () => (await http.get("/metrics").expect(200)).text };
}

async function eventually(check: () => Promise<boolean>, what: string, tries = 200): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("subscriber metrics", () => {
  it("count subscriptions ended by reason: client closed, job ended; every reason from 0", async () => {
    const { http, subscribe, scrape } = await start();
    await http.post("/v1/jobs").send(totals("counts")).expect(201);
    await http.post("/v1/jobs").send(totals("failing")).expect(201);
    let text = await scrape();
    for (const reason of SUBSCRIBER_CLOSE_REASONS) expect(value(text, `tributary_subscribers_closed_total{job_name="counts",reason="${reason}"}`)).toBe(0);
    expect(value(text, `tributary_subscriber_buffered_bytes{job_name="counts"}`)).toBe(0);

    const leaving = await subscribe("counts");
    const staying = await subscribe("failing");
    leaving.close();
    await eventually(async () => value(await scrape(), `tributary_subscribers_closed_total{job_name="counts",reason="client closed"}`) === 1, "the close to be counted");

    await http.post("/v1/streams/words/events").send([{ w: "a" }]).expect(202);
    await t.advance(1000);
    await staying.until(() => staying.closed !== undefined, 30_000, "the failed job's subscriber to be closed");
    text = await scrape();
    expect(value(text, `tributary_subscribers_closed_total{job_name="failing",reason="job ended"}`)).toBe(1);
    expect(value(text, `tributary_subscribers_closed_total{job_name="failing",reason="client closed"}`)).toBe(0);
    expect(value(text, `tributary_subscribers_closed_total{job_name="counts",reason="job ended"}`)).toBe(0);
  });

  it("tell the bytes waiting for a subscriber that stopped reading, back to 0 once it reads again", async () => {
    const { http, subscribe, scrape } = await start({ live: { maxSubscriberBufferBytes: 64 * 1024 * 1024, heartbeatMs: 60_000, pingMs: 60_000 } });
    await http.post("/v1/jobs").send(totals("totals")).expect(201);
    const client = await subscribe("totals");
    // The client stops reading; every batch re-sends 20,000 running totals to it.
    const socket = (client.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    await http.post("/v1/streams/words/events").send(Array.from({ length: 20_000 }, (_, i) => ({ w: `word-${i}` }))).expect(202);
    let buffered = 0;
    for (let i = 0; i < 60 && buffered === 0; i++) {
      await t.advance(1000);
      buffered = value(await scrape(), `tributary_subscriber_buffered_bytes{job_name="totals"}`)!;
    }
    expect(buffered).toBeGreaterThan(0);

    socket.resume(); // it reads again: nothing waits any more
    await eventually(async () => value(await scrape(), `tributary_subscriber_buffered_bytes{job_name="totals"}`) === 0, "the buffer to drain");
    expect(value(await scrape(), `tributary_subscribers_closed_total{job_name="totals",reason="fell behind"}`)).toBe(0);
  });

  it("count a subscriber dropped for falling behind under its reason", async () => {
    const { http, subscribe, scrape } = await start({ live: { maxSubscriberBufferBytes: 256 * 1024, heartbeatMs: 60_000, pingMs: 60_000 } });
    await http.post("/v1/jobs").send(totals("totals")).expect(201);
    const client = await subscribe("totals");
    (client.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    await http.post("/v1/streams/words/events").send(Array.from({ length: 20_000 }, (_, i) => ({ w: `word-${i}` }))).expect(202);
    const dropped = () => scrape().then((text) => value(text, `tributary_subscribers_closed_total{job_name="totals",reason="fell behind"}`));
    for (let i = 0; i < 60 && (await dropped()) === 0; i++) await t.advance(1000);
    expect(await dropped()).toBe(1);
    expect(value(await scrape(), `tributary_slow_subscribers_dropped_total{job_name="totals"}`)).toBe(1);
  });
});
