/**
 * Tenants are isolated: a tenant's streams, jobs, results, state, models and batches are invisible to
 * another tenant (404, not 403, on every route and both live transports), two tenants use the same
 * names, a job reads only its own tenant's streams, and nothing another tenant is sent names the
 * first tenant or its stored names.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeys } from "../../../src/api/auth/api-keys.js";
import { LiveTokens } from "../../../src/api/auth/live-tokens.js";
import { createTestApp, type TestApp } from "../../support/test-app.js";

const ACME = "acme-admin-0123456789abcdef";
const GLOBEX = "globex-admin-0123456789abcdef";
const DEFAULT = "default-admin-0123456789abcdef";

let t: TestApp;
let base: string;
/** Every body globex was sent, to check none of it names acme. */
const seenByGlobex: string[] = [];

async function call(key: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`http://${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  // (What globex itself wrote may come back in an error message; that is not a leak.)
  if (key === GLOBEX && !path.includes("acme")) seenByGlobex.push(text);
  return { status: response.status, body: text === "" ? undefined : JSON.parse(text) };
}

const countJob = (name: string, input: string) => ({ name, input, steps: [{ op: "keyBy", key: "user" }, { op: "runningAggregate", aggs: { n: { fn: "count" } } }] });

/** The running total for `user` in the tenant's job's newest frame. */
async function total(key: string, job: string, user: string): Promise<number> {
  const page = await call(key, "GET", `/v1/jobs/${job}/results?from=1&limit=1000`);
  expect(page.status).toBe(200);
  const rows = (page.body.frames as { rows: { key: string; n: number }[] }[]).flatMap((f) => f.rows).filter((r) => r.key === user);
  return rows.at(-1)?.n ?? 0;
}

beforeAll(async () => {
  const keys = ApiKeys.parse(`acme:admin:${ACME},globex:admin:${GLOBEX},default:admin:${DEFAULT}`, undefined);
  t = await createTestApp({ access: { keys: () => keys, liveTokens: new LiveTokens(), metricsRequireKey: true } });
  await t.app.listen({ port: 0, host: "127.0.0.1" });
  base = `127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  expect((await call(ACME, "POST", "/v1/streams", { name: "clicks", partitions: 2 })).status).toBe(201);
  expect((await call(ACME, "POST", "/v1/streams", { name: "orders" })).status).toBe(201);
  expect((await call(ACME, "POST", "/v1/jobs", countJob("counts", "clicks"))).status).toBe(201);
  const model = { name: "model", input: "clicks", steps: [{ op: "trainLogisticRegression", features: ["x"], label: "y" }] };
  expect((await call(ACME, "POST", "/v1/jobs", model)).status).toBe(201);
  expect((await call(ACME, "POST", "/v1/streams/clicks/events", [{ user: "ann", x: 1, y: 1 }, { user: "ann", x: 0, y: 0 }])).status).toBe(202);
  await t.advance(1000);
});

afterAll(async () => {
  await t?.close();
});

describe("another tenant's streams and jobs are not there", () => {
  const routes: [string, string, unknown?][] = [
    ["GET", "/v1/streams/clicks"],
    ["DELETE", "/v1/streams/orders"],
    ["GET", "/v1/jobs/counts"],
    ["DELETE", "/v1/jobs/counts"],
    ["POST", "/v1/jobs/counts/pause"],
    ["POST", "/v1/jobs/counts/resume"],
    ["GET", "/v1/jobs/counts/results"],
    ["GET", "/v1/jobs/counts/state?key=ann"],
    ["GET", "/v1/jobs/model/model"],
    ["GET", "/v1/jobs/counts/batches"],
    ["GET", "/v1/jobs/counts/results/live"],
  ];
  for (const [method, path] of routes) {
    it(`${method} ${path} is 404 for globex`, async () => {
      const answer = await call(GLOBEX, method, path);
      expect(answer.status).toBe(404);
      expect(answer.body.error.code).toMatch(/^UNKNOWN_(STREAM|JOB)$/);
    });
  }

  it("lists hold only the tenant's own", async () => {
    expect((await call(GLOBEX, "GET", "/v1/streams")).body.streams).toEqual([]);
    expect((await call(GLOBEX, "GET", "/v1/jobs")).body.jobs).toEqual([]);
    expect((await call(ACME, "GET", "/v1/streams")).body.streams.map((s: { name: string }) => s.name).sort()).toEqual(["clicks", "orders"]);
    expect((await call(DEFAULT, "GET", "/v1/streams")).body.streams).toEqual([]);
  });

  it("a live subscription to another tenant's job is 404 over WebSocket and SSE", async () => {
    const wsStatus = await new Promise<number>((resolve, reject) => {
      const socket = new WebSocket(`ws://${base}/v1/jobs/counts/results/live`, { headers: { authorization: `Bearer ${GLOBEX}` } });
      socket.on("unexpected-response", (_req, res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      });
      socket.on("open", () => {
        socket.close();
        resolve(101);
      });
      socket.on("error", reject);
    });
    expect(wsStatus).toBe(404);
    const sseStatus = await new Promise<number>((resolve, reject) => {
      http
        .get(`http://${base}/v1/jobs/counts/results/live`, { headers: { accept: "text/event-stream", authorization: `Bearer ${GLOBEX}` } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on("error", reject);
    });
    expect(sseStatus).toBe(404);
  });

  it("a job cannot read another tenant's stream", async () => {
    const answer = await call(GLOBEX, "POST", "/v1/jobs", countJob("spy", "orders"));
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe("INVALID_JOB");
    const union = { name: "spy2", input: "mine", steps: [{ op: "union", with: [{ input: "clicks" }] }] };
    await call(GLOBEX, "POST", "/v1/streams", { name: "mine" });
    expect((await call(GLOBEX, "POST", "/v1/jobs", union)).status).toBe(400);
  });

  it("a name holding the tenant separator reaches nobody's names", async () => {
    expect((await call(GLOBEX, "GET", "/v1/streams/acme~clicks")).status).toBe(404);
    expect((await call(DEFAULT, "GET", "/v1/jobs/acme~counts")).status).toBe(404);
    expect((await call(DEFAULT, "GET", "/v1/jobs/acme~counts/results")).status).toBe(404);
    const declared = await call(DEFAULT, "POST", "/v1/streams", { name: "acme~clicks" });
    expect(declared.status).toBe(400);
    expect(declared.body.error.code).toBe("INVALID_STREAM");
    const ingested = await call(DEFAULT, "POST", "/v1/streams/acme~clicks/events", { user: "mallory" });
    expect(ingested.status).toBe(400);
    const job = await call(DEFAULT, "POST", "/v1/jobs", countJob("acme~counts", "clicks"));
    expect(job.status).toBe(400);
    const reads = await call(DEFAULT, "POST", "/v1/jobs", countJob("thief", "acme~clicks"));
    expect(reads.status).toBe(400);
    expect(await total(ACME, "counts", "mallory")).toBe(0);
  });
});

describe("two tenants, the same names", () => {
  it("each tenant's job counts only its own tenant's events", async () => {
    expect((await call(GLOBEX, "POST", "/v1/streams", { name: "clicks" })).status).toBe(201);
    const job = await call(GLOBEX, "POST", "/v1/jobs", countJob("counts", "clicks"));
    expect(job.status).toBe(201);
    expect(job.body).toMatchObject({ id: "counts", name: "counts", input: "clicks", inputs: ["clicks"], definition: { name: "counts", input: "clicks" } });
    expect(job.body.definition.input).toBe("clicks");
    expect((await call(GLOBEX, "POST", "/v1/streams/clicks/events", [{ user: "ann" }, { user: "ann" }, { user: "ann" }])).status).toBe(202);
    expect((await call(ACME, "POST", "/v1/streams/clicks/events", { user: "ann" })).status).toBe(202);
    await t.advance(1000);
    expect(await total(GLOBEX, "counts", "ann")).toBe(3);
    expect(await total(ACME, "counts", "ann")).toBe(3); // 2 before, 1 now
  });

  it("deleting one tenant's job or stream leaves the other's", async () => {
    await call(GLOBEX, "POST", "/v1/streams", { name: "temp" });
    await call(ACME, "POST", "/v1/streams", { name: "temp" });
    expect((await call(GLOBEX, "DELETE", "/v1/streams/temp")).status).toBe(204);
    expect((await call(ACME, "GET", "/v1/streams/temp")).status).toBe(200);
    const inUse = await call(GLOBEX, "DELETE", "/v1/streams/clicks");
    expect(inUse.status).toBe(409);
    expect(inUse.body.error.message).toContain("job(s) counts");
  });

  it("errors, batches, state and models name only the tenant's own names", async () => {
    const dup = await call(GLOBEX, "POST", "/v1/jobs", countJob("counts", "clicks"));
    expect(dup.status).toBe(409);
    const batches = await call(GLOBEX, "GET", "/v1/jobs/counts/batches");
    expect(batches.body.batches.length).toBeGreaterThan(0);
    for (const b of batches.body.batches) {
      expect(b.jobId).toBe("counts");
      for (const r of b.ranges) expect(r.stream).toBe("clicks");
    }
    const state = await call(GLOBEX, "GET", "/v1/jobs/counts/state?key=ann");
    expect(state.body).toMatchObject({ jobId: "counts", found: true });
    const model = await call(ACME, "GET", "/v1/jobs/model/model");
    expect(model.body.jobId).toBe("model");
    for (const text of seenByGlobex) {
      expect(text).not.toContain("acme");
      expect(text).not.toContain("globex~");
    }
  });

  it("metrics name each tenant's streams and jobs apart, and a tenant reads only its own", async () => {
    const metrics = await fetch(`http://${base}/metrics`, { headers: { authorization: `Bearer ${GLOBEX}` } });
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toMatch(/tributary_events_ingested_total\{stream="clicks"\} 3/);
    expect(text).not.toContain("acme");
    expect(text).not.toContain("globex~");
    const acme = await (await fetch(`http://${base}/metrics`, { headers: { authorization: `Bearer ${ACME}` } })).text();
    expect(acme).toMatch(/tributary_events_ingested_total\{stream="clicks"\} 3/);
    expect(acme).not.toContain("globex");
  });
});
