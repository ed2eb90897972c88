/**
 * SIGTERM while events pour in and a WebSocket and an SSE subscriber are connected: the server exits 0
 * within SHUTDOWN_TIMEOUT_MS and tells each subscriber the seq to resume from. Restarted on the same data,
 * every event it acknowledged is counted exactly once, and a subscriber that resumes from that seq sees
 * no gap and no duplicate. A shutdown that cannot finish ends after SHUTDOWN_TIMEOUT_MS with exit code 1.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServerProcess } from "../support/server-process.js";
import { SseClient } from "../support/sse-client.js";
import { LiveClient, type LiveMessage } from "../support/ws-client.js";

const SHUTDOWN_TIMEOUT_MS = 20_000;

let server: ServerProcess;
beforeAll(async () => {
  // At debug, a request is logged as it arrives ("incoming request"), before its body is complete.
  server = await ServerProcess.start({ WORKERS: "1", STANDBY_WORKERS: "0", CHECKPOINT_INTERVAL_MS: "500", SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), LOG_LEVEL: "debug" });
});
afterAll(() => server?.dispose());

const job = { name: "count", input: "clicks", batchInterval: "100ms", startFrom: "earliest", steps: [{ op: "runningAggregate", aggs: { n: { fn: "count" } } }] };

interface Post {
  readonly key: string;
  readonly body: string;
  readonly events: number;
}

interface Tally {
  /** Events answered 202. */
  acknowledged: number;
  /** Statuses other than 202 (while closing: 503, nothing stored). */
  readonly refused: number[];
  /** Requests whose answer never came (the connection closed): sent again after the restart. */
  readonly unanswered: Post[];
}

function post(url: string, { key, body }: Post): Promise<Response> {
  return fetch(`${url}/v1/streams/clicks/events`, { method: "POST", headers: { "content-type": "application/json", "idempotency-key": key }, body });
}

/** Posts 20 events at a time until the server stops acknowledging. */
async function ingestUntilRefused(url: string, loop: number, tally: Tally): Promise<void> {
  for (let r = 0; ; r++) {
    const request = { key: randomUUID(), body: JSON.stringify(Array.from({ length: 20 }, (_, i) => ({ loop, r, i }))), events: 20 };
    let res: Response;
    try {
      res = await post(url, request);
      await res.arrayBuffer();
    } catch {
      tally.unanswered.push(request);
      return;
    }
    if (res.status !== 202) return void tally.refused.push(res.status);
    tally.acknowledged += request.events;
  }
}

async function until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const resumeFrom = (reason: string | undefined) => Number(/\?from=(\d+) to resume without loss/.exec(reason ?? "")?.[1]);
const seqsFrom = (first: number, count: number) => Array.from({ length: count }, (_, i) => first + i);
const countOf = (frame: LiveMessage) => (frame.rows as { n: number }[])[0]?.n ?? 0;

describe("SIGTERM", () => {
  it("closes live subscribers with where to resume, exits 0, and loses or repeats no acknowledged event", async () => {
    expect((await server.request("POST", "/v1/streams", { name: "clicks", partitions: 2 })).status).toBe(201);
    expect((await server.request("POST", "/v1/jobs", job)).status).toBe(201);
    const ws = new LiveClient(`${server.wsUrl}/v1/jobs/count/results/live?from=1`);
    const sse = new SseClient(`${server.url}/v1/jobs/count/results/live?from=1`);
    await ws.until(() => ws.messages.some((m) => m.type === "hello"), 20_000, "the WebSocket hello");
    await sse.until(() => sse.events.length > 0, 20_000, "the SSE hello");

    // A request in flight when the signal comes, on a connection that asks to be kept alive: it is
    // answered, and its connection does not hold the server open.
    const held = http.request(`${server.url}/v1/streams/clicks/events`, { method: "POST", agent: new http.Agent({ keepAlive: true }), headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(`[{"held":1}]`)) } });
    const heldAnswer = new Promise<number>((resolve, reject) => {
      held.on("response", (res) => res.resume().on("end", () => resolve(res.statusCode ?? 0)));
      held.on("error", reject);
    });
    held.write('[{"held":');
    await until(() => server.logs().includes(`"url":"/v1/streams/clicks/events"`), 20_000, "the server to take the held request");

    const tally: Tally = { acknowledged: 0, refused: [], unanswered: [] };
    const loads = [0, 1, 2, 3].map((loop) => ingestUntilRefused(server.url, loop, tally));
    await ws.until(() => ws.results.some((f) => countOf(f) > 0), 30_000, "a frame counting events");
    await sse.until(() => sse.events.some((e) => e.id !== undefined), 30_000, "an SSE result");

    const exited = server.stop("SIGTERM", SHUTDOWN_TIMEOUT_MS * 3);
    await ws.until(() => ws.closed !== undefined, 20_000, "the WebSocket close");
    held.end("1}]");
    expect(await heldAnswer).toBe(202);
    tally.acknowledged += 1;
    const exit = await exited;
    await Promise.all(loads);
    expect(exit.code, server.logs()).toBe(0);
    expect(exit.ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    expect(tally.acknowledged).toBeGreaterThan(0);
    expect(tally.refused.filter((s) => s !== 503)).toEqual([]);

    // The WebSocket: 1001, and the seq after the last frame it got.
    await ws.until(() => ws.closed !== undefined, 10_000, "the WebSocket close");
    expect(ws.closed?.code).toBe(1001);
    expect(ws.closed?.reason).toMatch(/^server shutting down; reconnect with \?from=\d+ to resume without loss$/);
    const wsFrom = resumeFrom(ws.closed?.reason);
    expect(ws.results.map((f) => f.seq)).toEqual(seqsFrom(1, wsFrom - 1));

    // The SSE stream: a final close event with the same kind of reason, then the end of the response.
    await sse.until(() => sse.ended, 10_000, "the end of the SSE response");
    const close = sse.events.at(-1)!;
    expect(close.event).toBe("close");
    const sseFrom = resumeFrom((close.data as { reason: string }).reason);
    expect(sse.events.filter((e) => e.id !== undefined).map((e) => e.id)).toEqual(seqsFrom(1, sseFrom - 1));

    // Restarted on the same data. A request whose answer was lost is sent again with its key: it
    // counts once whether or not the first attempt was stored.
    await server.launch();
    let expected = tally.acknowledged;
    for (const request of tally.unanswered) {
      const res = await post(server.url, request);
      expect(res.status).toBe(202);
      expected += request.events;
    }

    const resumed = new LiveClient(`${server.wsUrl}/v1/jobs/count/results/live?from=${wsFrom}`);
    await resumed.until(() => resumed.results.some((f) => countOf(f) >= expected), 60_000, `a frame counting ${expected} events`);
    resumed.close();
    expect(resumed.messages[0]).toMatchObject({ type: "hello", from: wsFrom, truncated: false });
    const frames = resumed.results;
    expect(frames.map((f) => f.seq)).toEqual(seqsFrom(wsFrom, frames.length));
    expect(countOf(frames.at(-1)!)).toBe(expected);

    // What the subscriber saw before and after the restart is the job's result log, frame for frame.
    const seen = [...ws.results, ...frames];
    const stored = (await server.requestOk<{ frames: LiveMessage[] }>("GET", `/v1/jobs/count/results?from=1&limit=1000`)).frames.slice(0, seen.length);
    expect(seen.map(({ type: _, ...frame }) => frame)).toEqual(stored);
  }, 180_000);
});

describe("a shutdown that cannot finish", () => {
  it("logs the step it waited on and exits 1 after SHUTDOWN_TIMEOUT_MS", async () => {
    const stuck = await ServerProcess.start({ WORKERS: "0", SHUTDOWN_TIMEOUT_MS: "1500", LOG_LEVEL: "debug" });
    try {
      // A request whose body never finishes arriving stays in flight, so the HTTP server cannot close.
      const request = http.request(`${stuck.url}/v1/streams/clicks/events`, { method: "POST", headers: { "content-type": "application/json", "content-length": "1000" } });
      request.on("error", () => undefined);
      request.write('[{"a":');
      await until(() => stuck.logs().includes(`"url":"/v1/streams/clicks/events"`), 20_000, "the server to take the request");
      const exit = await stuck.stop("SIGTERM", 60_000);
      request.destroy();
      expect(exit.code, stuck.logs()).toBe(1);
      expect(stuck.logs()).toContain("shutdown did not finish within SHUTDOWN_TIMEOUT_MS");
      expect(stuck.logs()).toContain("closing the HTTP server");
    } finally {
      await stuck.dispose();
    }
  }, 120_000);
});
