/** Results: the HTTP page, and live subscriptions over a real WebSocket (and SSE) with resume. */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import supertest from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openMemoryStore } from "../../../src/store/memory/open-memory-store.js";
import { SpecResponses } from "../../support/spec-responses.js";
import { createTestApp, type TestApp } from "../../support/test-app.js";
import { LiveClient, upgradeStatus } from "../../support/ws-client.js";

let t: TestApp;
let base: string;
const clients: LiveClient[] = [];

async function start(options: Parameters<typeof createTestApp>[0] = {}) {
  t = await createTestApp(options);
  await t.app.listen({ port: 0, host: "127.0.0.1" });
  base = `127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  await supertest(t.app.server).post("/v1/streams").send({ name: "words" }).expect(201);
  await supertest(t.app.server)
    .post("/v1/jobs")
    .send({ name: "totals", input: "words", steps: [{ op: "keyBy", key: "w" }, { op: "runningAggregate", aggs: { count: { fn: "count" } } }] })
    .expect(201);
}

/** Pushes one event per batch and runs the batch: frame n then holds n events in total. */
async function batches(n: number, word = "a") {
  for (let i = 0; i < n; i++) {
    await supertest(t.app.server).post("/v1/streams/words/events").send({ w: word }).expect(202);
    await t.advance(1000);
  }
}

/** Reads the live route as Server-Sent Events until the text holds `until`. */
function readSse(query: string, headers: Record<string, string>, until: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const req = http.get(`http://${base}/v1/jobs/totals/results/live${query}`, { headers: { accept: "text/event-stream", ...headers } }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => {
        body += chunk.toString();
        if (body.includes(until)) {
          req.destroy();
          resolve(body);
        }
      });
    });
    req.on("error", reject);
  });
}

const live = (query = "") => {
  const client = new LiveClient(`ws://${base}/v1/jobs/totals/results/live${query}`);
  clients.push(client);
  return client;
};

beforeEach(() => start());
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await t.close();
});

describe("results page", () => {
  it("pages through retained frames with from, limit and next", async () => {
    await batches(5);
    const page = (await supertest(t.app.server).get("/v1/jobs/totals/results?from=2&limit=2").expect(200)).body;
    expect(page.frames.map((f: { seq: number }) => f.seq)).toEqual([2, 3]);
    expect(page).toMatchObject({ first: 1, last: 5, next: 4 });
    expect(page.frames[1].rows).toEqual([{ key: "a", count: 3 }]);
    expect(page.frames[1].batchTime % 1000).toBe(0);
  });

  it("gives next = 1 before the first frame, so a script can start paging at once", async () => {
    const page = (await supertest(t.app.server).get("/v1/jobs/totals/results").expect(200)).body;
    expect(page).toMatchObject({ frames: [], first: 0, last: 0, next: 1 });
  });

  it.each(["from=0", "from=abc", "limit=0", "limit=5000", "colour=red"])("refuses the query %s", async (query) => {
    const res = await supertest(t.app.server).get(`/v1/jobs/totals/results?${query}`).expect(400);
    expect(res.body.error.code).toBe("INVALID_REQUEST");
  });
});

describe("live results over WebSocket", () => {
  it("sends a hello, then each new frame as it is produced", async () => {
    await batches(2);
    const client = live();
    await client.until(() => client.messages.length >= 1, 5000, "hello");
    expect(client.messages[0]).toMatchObject({ type: "hello", jobId: "totals", from: 3, lastSeq: 2, truncated: false });
    await batches(2, "b");
    await client.until(() => client.results.length >= 2, 5000, "two frames");
    expect(client.results.map((m) => m.seq)).toEqual([3, 4]);
    expect(client.results[1]!.rows).toEqual([
      { key: "a", count: 2 },
      { key: "b", count: 2 },
    ]);
  });

  it("resumes with ?from=SEQ: retained frames, then live ones, with no gap and no duplicate", async () => {
    await batches(4);
    const client = live("?from=2");
    // frames keep coming while the subscriber catches up on history
    const more = batches(3);
    await more;
    await client.until(() => client.results.length >= 6, 5000, "frames 2..7");
    expect(client.messages[0]!.type).toBe("hello");
    expect(client.results.map((m) => m.seq)).toEqual([2, 3, 4, 5, 6, 7]);
  });

  it("refuses an unknown job with 404 before upgrading, and a bad from with 400", async () => {
    const unknown = await upgradeStatus(`ws://${base}/v1/jobs/nope/results/live`);
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).error.code).toBe("UNKNOWN_JOB");
    const bad = await upgradeStatus(`ws://${base}/v1/jobs/totals/results/live?from=-1`);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error.code).toBe("INVALID_REQUEST");
  });

  it("ends the subscription with code 4010 when the job is deleted", async () => {
    const client = live();
    await client.until(() => client.messages.length >= 1, 5000, "hello");
    await supertest(t.app.server).delete("/v1/jobs/totals").expect(204);
    await client.until(() => client.closed !== undefined, 5000, "close");
    expect(client.closed).toMatchObject({ code: 4010, reason: "job deleted" });
  });

  it("streams Server-Sent Events to a client that asks for text/event-stream", async () => {
    await batches(1);
    const text = await readSse("?from=1", {}, '"type":"result"');
    expect(text).toContain('data: {"type":"hello"');
    expect(text).toMatch(/id: 1\ndata: \{"type":"result","seq":1/);
  });

  it("resumes an EventSource right after its Last-Event-ID", async () => {
    await batches(3);
    const text = await readSse("", { "last-event-id": "1" }, '"seq":3');
    const seqs = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(seqs).toEqual([2, 3]);
  });

  it("tells a plain HTTP client to upgrade", async () => {
    const res = await supertest(t.app.server).get("/v1/jobs/totals/results/live").expect(426);
    expect(res.headers.upgrade).toBe("websocket");
    expect(res.body.error.code).toBe("UPGRADE_REQUIRED");
    expect(res.body.error.message).toContain("WebSocket");
  });
});

describe("a subscriber that stops reading", () => {
  it("is disconnected with 4008 and told the seq to resume from", async () => {
    await t.close();
    await start({ live: { maxSubscriberBufferBytes: 256 * 1024 } });
    const client = live();
    await client.until(() => client.messages.length >= 1, 5000, "hello");
    // Stop reading from the socket: the server's send buffer fills with large frames.
    (client.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const words = Array.from({ length: 20_000 }, (_, i) => ({ w: `word-${i}` }));
    await supertest(t.app.server).post("/v1/streams/words/events").send(words).expect(202);
    // Every batch re-emits all 20,000 running totals (~0.5 MB a frame) to the stalled client.
    for (let i = 0; i < 60; i++) {
      await t.advance(1000);
      if ((await t.metrics.slowSubscribersDropped.get()).values.length > 0) break;
    }
    const dropped = await t.metrics.registry.getSingleMetricAsString("tributary_slow_subscribers_dropped_total");
    expect(dropped).toMatch(/tributary_slow_subscribers_dropped_total\{job_name="totals"\} 1/);
    (client.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    await client.until(() => client.closed !== undefined, 10_000, "close");
    expect(client.closed!.code).toBe(4008);
    expect(client.closed!.reason).toMatch(/reconnect with \?from=\d+/);
  });
});

describe("a job that emits rarely", () => {
  it("keeps its frames with rows in the history while frames without rows still reach live subscribers", async () => {
    await t.close();
    t = await createTestApp({ store: openMemoryStore({ resultHistory: 5, resultRecentSeqs: 2 }) });
    await t.app.listen({ port: 0, host: "127.0.0.1" });
    base = `127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    await supertest(t.app.server).post("/v1/streams").send({ name: "payments" }).expect(201);
    await supertest(t.app.server).post("/v1/jobs").send({ name: "fraud", input: "payments", steps: [{ op: "filter", where: "amount > 1000" }] }).expect(201);
    const client = new LiveClient(`ws://${base}/v1/jobs/fraud/results/live`);
    clients.push(client);
    await client.until(() => client.messages.length >= 1, 5000, "hello");
    const pay = async (amount: number) => supertest(t.app.server).post("/v1/streams/payments/events").send({ amount }).expect(202);
    await pay(5000);
    await t.advance(1000);
    for (let i = 0; i < 20; i++) {
      await pay(10);
      await t.advance(1000);
    }
    await pay(7000);
    await t.advance(1000);
    await t.advance(1000);
    // Live: every seq, with rows or not.
    await client.until(() => client.results.length >= 23, 5000, "23 frames");
    expect(client.results.map((m) => m.seq)).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
    // Kept: both frames with rows, though 21 without came after the first (the history holds 5), and
    // those without rows among the newest 2 seqs.
    const page = (await supertest(t.app.server).get("/v1/jobs/fraud/results").expect(200)).body;
    expect(page.frames.map((f: { seq: number; rows: unknown[] }) => [f.seq, f.rows.length])).toEqual([
      [1, 1],
      [22, 1],
      [23, 0],
    ]);
    expect(page).toMatchObject({ first: 1, last: 23, next: 24 });
    const newest = (await supertest(t.app.server).get("/v1/jobs/fraud/results?last=2").expect(200)).body;
    expect(newest.frames.map((f: { seq: number }) => f.seq)).toEqual([22, 23]);
    // A subscriber resuming from among the frames without rows: the kept ones after it, then live.
    const resumed = new LiveClient(`ws://${base}/v1/jobs/fraud/results/live?from=5`);
    clients.push(resumed);
    await resumed.until(() => resumed.results.length >= 2, 5000, "history");
    await t.advance(1000);
    await resumed.until(() => resumed.results.length >= 3, 5000, "a live frame");
    expect(resumed.messages[0]).toMatchObject({ type: "hello", from: 5, next: 5, lastSeq: 23, truncated: false });
    expect(resumed.results.map((m) => m.seq)).toEqual([22, 23, 24]);
  });
});

describe("a from past the newest seq", () => {
  it("is accepted over WebSocket: the hello says the next seq to come, and delivery goes on from it", async () => {
    await batches(2);
    const client = live("?from=50");
    await client.until(() => client.messages.length >= 1, 5000, "hello");
    expect(client.messages[0]).toMatchObject({ type: "hello", from: 50, next: 3, lastSeq: 2, truncated: false });
    const spec = new SpecResponses(fileURLToPath(new URL("../../../openapi.yaml", import.meta.url)));
    expect(spec.schemaProblems("HelloMessage", client.messages[0])).toEqual([]);
    await batches(2);
    await client.until(() => client.results.length >= 2, 5000, "two frames");
    expect(client.results.map((m) => m.seq)).toEqual([3, 4]);
  });

  it("is accepted over Server-Sent Events, with the same hello", async () => {
    await batches(2);
    const text = await readSse("?from=50", {}, '"type":"hello"');
    const hello = JSON.parse(/data: (\{"type":"hello".*\})\n/.exec(text)![1]!);
    expect(hello).toMatchObject({ from: 50, next: 3, lastSeq: 2 });
  });

  it("gives an empty page whose next is the next seq to come", async () => {
    await batches(2);
    const page = (await supertest(t.app.server).get("/v1/jobs/totals/results?from=50").expect(200)).body;
    expect(page).toMatchObject({ frames: [], first: 1, last: 2, next: 3 });
  });
});
