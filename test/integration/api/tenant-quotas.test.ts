/**
 * Quotas per tenant: streams, jobs, live subscriptions, events and bytes a second, requests a second.
 * A request past a quota is 429 QUOTA_EXCEEDED naming the quota, changes nothing, and (for a rate)
 * says when to retry; another tenant is not affected; an open server has no quotas.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import WebSocket from "ws";
import { afterEach, describe, expect, it } from "vitest";
import { ApiKeys } from "../../../src/api/auth/api-keys.js";
import { LiveTokens } from "../../../src/api/auth/live-tokens.js";
import type { QuotaLimits } from "../../../src/api/tenancy/quotas.js";
import { createTestApp, type TestApp } from "../../support/test-app.js";

const ACME = "acme-admin-0123456789abcdef";
const GLOBEX = "globex-admin-0123456789abcdef";

let t: TestApp;
let base: string;

async function start(quotas: Partial<QuotaLimits>, withKeys = true) {
  const keys = ApiKeys.parse(withKeys ? `acme:admin:${ACME},globex:admin:${GLOBEX}` : undefined, undefined);
  t = await createTestApp({ quotas, access: { keys: () => keys, liveTokens: new LiveTokens(), metricsRequireKey: false } });
  await t.app.listen({ port: 0, host: "127.0.0.1" });
  base = `127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  await t?.close();
});

async function call(key: string, method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`http://${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === "" ? undefined : JSON.parse(text) };
}

const countJob = (name: string, input = "clicks") => ({ name, input, steps: [{ op: "keyBy", key: "user" }, { op: "runningAggregate", aggs: { n: { fn: "count" } } }] });

function expectQuota(answer: { status: number; body: any }, quota: string) {
  expect(answer.status).toBe(429);
  expect(answer.body.error.code).toBe("QUOTA_EXCEEDED");
  expect(answer.body.error.details.quota).toBe(quota);
  expect(answer.body.error.message).toContain(quota);
}

describe("count quotas", () => {
  it("streams: the one past the quota is refused, by declaration or by a first ingest, and nothing is created", async () => {
    await start({ streams: 2 });
    expect((await call(ACME, "POST", "/v1/streams", { name: "a" })).status).toBe(201);
    expect((await call(ACME, "POST", "/v1/streams/b/events", { user: "ann" })).status).toBe(202);
    expectQuota(await call(ACME, "POST", "/v1/streams", { name: "c" }), "streams");
    expectQuota(await call(ACME, "POST", "/v1/streams/d/events", { user: "ann" }), "streams");
    expect((await call(ACME, "GET", "/v1/streams")).body.streams.map((s: { name: string }) => s.name).sort()).toEqual(["a", "b"]);
    // An existing stream still takes events, and another tenant has its own quota.
    expect((await call(ACME, "POST", "/v1/streams/a/events", { user: "ann" })).status).toBe(202);
    expect((await call(GLOBEX, "POST", "/v1/streams", { name: "c" })).status).toBe(201);
    // Deleting one makes room.
    expect((await call(ACME, "DELETE", "/v1/streams/a")).status).toBe(204);
    expect((await call(ACME, "POST", "/v1/streams", { name: "c" })).status).toBe(201);
  });

  it("jobs: the one past the quota is refused and not registered", async () => {
    await start({ jobs: 1 });
    await call(ACME, "POST", "/v1/streams", { name: "clicks" });
    expect((await call(ACME, "POST", "/v1/jobs", countJob("one"))).status).toBe(201);
    expectQuota(await call(ACME, "POST", "/v1/jobs", countJob("two")), "jobs");
    expect((await call(ACME, "GET", "/v1/jobs")).body.jobs.map((j: { id: string }) => j.id)).toEqual(["one"]);
    await call(GLOBEX, "POST", "/v1/streams", { name: "clicks" });
    expect((await call(GLOBEX, "POST", "/v1/jobs", countJob("two"))).status).toBe(201);
  });

  it("subscriptions: past the quota a plain 429 before the upgrade; closing one makes room", async () => {
    await start({ subscriptions: 1 });
    await call(ACME, "POST", "/v1/streams", { name: "clicks" });
    await call(ACME, "POST", "/v1/jobs", countJob("counts"));
    const open = (key: string) =>
      new Promise<{ socket?: WebSocket; status?: number }>((resolve, reject) => {
        const socket = new WebSocket(`ws://${base}/v1/jobs/counts/results/live`, { headers: { authorization: `Bearer ${key}` } });
        socket.on("message", () => resolve({ socket }));
        socket.on("unexpected-response", (_req, res) => {
          res.resume();
          res.on("end", () => resolve({ status: res.statusCode }));
        });
        socket.on("error", reject);
      });
    const first = await open(ACME);
    expect(first.socket).toBeDefined();
    expect((await open(ACME)).status).toBe(429);
    first.socket!.close();
    // The server counts the subscription released once it sees the close: wait on its answer.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const again = await open(ACME);
      if (again.socket) {
        again.socket.close();
        break;
      }
      expect(again.status).toBe(429);
      if (Date.now() > deadline) throw new Error("the closed subscription was never released");
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  it("an open server (no keys) has no quotas", async () => {
    await start({ streams: 1, jobs: 1 }, false);
    for (const name of ["a", "b", "c"]) expect((await fetch(`http://${base}/v1/streams`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name }) })).status).toBe(201);
  });
});

describe("rate quotas", () => {
  it("events a second: a request past the bucket is refused with Retry-After, nothing of it stored; another tenant goes on", async () => {
    await start({ eventsPerSecond: 5 });
    await call(ACME, "POST", "/v1/streams", { name: "clicks" });
    await call(ACME, "POST", "/v1/jobs", countJob("counts"));
    // A full bucket takes a request larger than itself, and is then 45 events (9 s) in debt.
    const first = await call(ACME, "POST", "/v1/streams/clicks/events", Array.from({ length: 50 }, () => ({ user: "ann" })));
    expect(first.status).toBe(202);
    expect(first.headers.get("ratelimit-limit")).toBe("5");
    expect(first.headers.get("ratelimit-remaining")).toBe("0");
    const refused = await call(ACME, "POST", "/v1/streams/clicks/events", [{ user: "ann" }]);
    expectQuota(refused, "eventsPerSecond");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(refused.body.error.details.retryAfterSeconds).toBe(Number(refused.headers.get("retry-after")));
    expect((await call(GLOBEX, "POST", "/v1/streams/clicks/events", { user: "bob" })).status).toBe(202);
    await t.advance(1000);
    const page = await call(ACME, "GET", "/v1/jobs/counts/results");
    const rows = (page.body.frames as { rows: { key: string; n: number }[] }[]).flatMap((f) => f.rows);
    expect(rows.at(-1)).toMatchObject({ key: "ann", n: 50 });
  });

  it("bytes a second, also for a chunked body that declares no Content-Length", async () => {
    await start({ bytesPerSecond: 100 });
    const big = Array.from({ length: 20 }, (_, i) => ({ user: `user-${i}`, text: "x".repeat(50) }));
    expect((await call(ACME, "POST", "/v1/streams/clicks/events", big)).status).toBe(202);
    expectQuota(await call(ACME, "POST", "/v1/streams/clicks/events", big), "bytesPerSecond");
    // Another tenant, its bucket full: a chunked body over it overdraws it, the next is refused.
    const chunked = () =>
      new Promise<number>((resolve, reject) => {
        const request = http.request(`http://${base}/v1/streams/clicks/events`, { method: "POST", headers: { authorization: `Bearer ${GLOBEX}`, "content-type": "application/json", "transfer-encoding": "chunked" } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        request.on("error", reject);
        request.write(JSON.stringify(big).slice(0, 10));
        request.end(JSON.stringify(big).slice(10));
      });
    expect(await chunked()).toBe(202);
    expect(await chunked()).toBe(429);
  });

  it("requests a second, per tenant; open routes are never limited", async () => {
    await start({ requestsPerSecond: 5 });
    const answers = await Promise.all(Array.from({ length: 100 }, () => call(ACME, "GET", "/v1/streams")));
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThan(0);
    expectQuota(limited[0]!, "requestsPerSecond");
    expect(Number(limited[0]!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(limited[0]!.headers.get("ratelimit-limit")).toBe("5");
    // Another tenant's first request of the second is its own.
    expect((await call(GLOBEX, "GET", "/v1/streams")).status).toBe(200);
    const health = await Promise.all(Array.from({ length: 30 }, () => fetch(`http://${base}/healthz`)));
    expect(health.every((r) => r.status === 200)).toBe(true);
  });
});
