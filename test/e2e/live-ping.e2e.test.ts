/**
 * The server pings every live WebSocket each WS_PING_MS: a client that stops answering (a half-open
 * peer) is dropped after about two intervals, so it no longer holds a subscription and its buffers; a
 * client that answers stays connected.
 */
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServerProcess } from "../support/server-process.js";
import { LiveClient } from "../support/ws-client.js";

const PING_MS = 300;

let server: ServerProcess;
beforeAll(async () => {
  server = await ServerProcess.start({ WORKERS: "0", WS_PING_MS: String(PING_MS) });
});
afterAll(() => server?.dispose());

async function subscribers(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^tributary_subscribers\{job_name="count"\} (\d+)$/m.exec(text)?.[1] ?? 0);
}

async function until(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("WebSocket ping", () => {
  it("drops a subscriber that stops answering pings and keeps one that answers", async () => {
    expect((await server.request("POST", "/v1/streams", { name: "clicks" })).status).toBe(201);
    expect((await server.request("POST", "/v1/jobs", { name: "count", input: "clicks", batchInterval: "100ms", steps: [{ op: "runningAggregate", aggs: { n: { fn: "count" } } }] })).status).toBe(201);
    const url = `${server.wsUrl}/v1/jobs/count/results/live`;

    const answering = new LiveClient(url);
    let answeringPings = 0;
    answering.socket.on("ping", () => answeringPings++);
    // A peer that is gone without a word: its socket is open, but nothing answers.
    const silent = new WebSocket(url, { autoPong: false });
    let silentPings = 0;
    let silentClose: number | undefined;
    silent.on("ping", () => silentPings++);
    silent.on("close", (code) => (silentClose = code));
    let openedAt = 0;
    silent.on("open", () => (openedAt = Date.now()));
    await answering.until(() => answering.messages.some((m) => m.type === "hello"), 20_000, "hello");
    await until(() => openedAt > 0, 20_000, "the silent socket to open");
    await until(async () => (await subscribers()) === 2, 20_000, "two subscribers");

    await until(() => silentClose !== undefined, 30_000, "the server to drop the silent subscriber");
    // Terminated, not closed: no close frame comes from a server that gave up on its peer.
    expect(silentClose).toBe(1006);
    expect(silentPings).toBeGreaterThanOrEqual(1);
    expect(Date.now() - openedAt).toBeGreaterThanOrEqual(PING_MS);
    await until(async () => (await subscribers()) === 1, 20_000, "the dropped subscription to end");

    // The client that answers is pinged on and stays.
    const pingsThen = answeringPings;
    await until(() => answeringPings >= pingsThen + 3, 30_000, "three more pings");
    expect(answering.closed).toBeUndefined();
    expect(await subscribers()).toBe(1);
    answering.close();
  }, 120_000);
});
