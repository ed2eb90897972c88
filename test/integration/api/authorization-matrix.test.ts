/**
 * The authorization matrix: every route the app registers, and both live transports, against no key,
 * a malformed header, an unknown key, each role, and a live token; every cell the expected status.
 * A route the app gains without a row here fails the first test, so the matrix stays complete.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeys, type Role } from "../../../src/api/auth/api-keys.js";
import { LiveTokens } from "../../../src/api/auth/live-tokens.js";
import { routesFromTree } from "../../support/app-routes.js";
import { createTestApp, type TestApp } from "../../support/test-app.js";

const KEYS = {
  admin: "acme-admin-0123456789abcdef",
  writer: "acme-writer-0123456789abcdef",
  reader: "acme-reader-0123456789abcdef",
} as const;
const UNKNOWN_KEY = "acme-admin-0123456789abcdeX";

type Need = "open" | Role;
type Credential = "none" | "malformed" | "unknown" | Role;
const CREDENTIALS: readonly Credential[] = ["none", "malformed", "unknown", "reader", "writer", "admin"];
const RANK: Record<Role, number> = { reader: 0, writer: 1, admin: 2 };

let t: TestApp;
let base: string;
const registered: string[] = [];
let fresh = 0;

/** A request with a credential; resolves to the status and the error code, if any. */
async function call(method: string, path: string, credential: Credential, body?: unknown): Promise<{ status: number; code?: string; wwwAuthenticate: string | null }> {
  const headers: Record<string, string> = {};
  if (credential === "malformed") headers.authorization = `Basic ${Buffer.from("a:b").toString("base64")}`;
  else if (credential === "unknown") headers.authorization = `Bearer ${UNKNOWN_KEY}`;
  else if (credential !== "none") headers.authorization = `Bearer ${KEYS[credential]}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`http://${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  } catch {
    code = undefined;
  }
  return { status: response.status, code, wwwAuthenticate: response.headers.get("www-authenticate") };
}

const admin = (method: string, path: string, body?: unknown) => call(method, path, "admin", body);

const countJob = (name: string, input = "clicks") => ({ name, input, steps: [{ op: "keyBy", key: "user" }, { op: "runningAggregate", aggs: { n: { fn: "count" } } }] });

/** A fresh stream or job for a cell that changes or deletes what it names. */
async function freshStream(): Promise<string> {
  const name = `s${++fresh}`;
  expect((await admin("POST", "/v1/streams", { name })).status).toBe(201);
  return name;
}
async function freshJob(paused = false): Promise<string> {
  const name = `j${++fresh}`;
  expect((await admin("POST", "/v1/jobs", countJob(name))).status).toBe(201);
  if (paused) expect((await admin("POST", `/v1/jobs/${name}/pause`)).status).toBe(200);
  return name;
}

interface Row {
  /** Fastify route, as the app registers it. */
  readonly route: string;
  readonly need: Need;
  /** The status when the credential is allowed. */
  readonly ok: number;
  /** Sends the request (a fresh target per call where the request changes it). */
  readonly send: (credential: Credential) => Promise<{ status: number; code?: string; wwwAuthenticate: string | null }>;
}

const ROWS: readonly Row[] = [
  { route: "GET /healthz", need: "open", ok: 200, send: (c) => call("GET", "/healthz", c) },
  { route: "GET /readyz", need: "open", ok: 200, send: (c) => call("GET", "/readyz", c) },
  { route: "GET /metrics", need: "open", ok: 200, send: (c) => call("GET", "/metrics", c) },
  // The contract and its browsable reference (Swagger UI's page and assets) are open.
  { route: "GET /openapi.json", need: "open", ok: 200, send: (c) => call("GET", "/openapi.json", c) },
  { route: "GET /openapi.yaml", need: "open", ok: 200, send: (c) => call("GET", "/openapi.yaml", c) },
  { route: "GET /docs", need: "open", ok: 200, send: (c) => call("GET", "/docs", c) },
  { route: "GET /docs/", need: "open", ok: 200, send: (c) => call("GET", "/docs/", c) },
  { route: "GET /docs/json", need: "open", ok: 200, send: (c) => call("GET", "/docs/json", c) },
  { route: "GET /docs/yaml", need: "open", ok: 200, send: (c) => call("GET", "/docs/yaml", c) },
  { route: "GET /docs/static/index.html", need: "open", ok: 200, send: (c) => call("GET", "/docs/static/index.html", c) },
  { route: "GET /docs/static/swagger-initializer.js", need: "open", ok: 200, send: (c) => call("GET", "/docs/static/swagger-initializer.js", c) },
  { route: "GET /docs/*", need: "open", ok: 200, send: (c) => call("GET", "/docs/static/swagger-ui.css", c) },
  { route: "GET /v1/cluster", need: "reader", ok: 200, send: (c) => call("GET", "/v1/cluster", c) },
  { route: "GET /v1/streams", need: "reader", ok: 200, send: (c) => call("GET", "/v1/streams", c) },
  { route: "POST /v1/streams", need: "admin", ok: 201, send: (c) => call("POST", "/v1/streams", c, { name: `new${++fresh}` }) },
  { route: "GET /v1/streams/:name", need: "reader", ok: 200, send: (c) => call("GET", "/v1/streams/clicks", c) },
  { route: "DELETE /v1/streams/:name", need: "admin", ok: 204, send: async (c) => call("DELETE", `/v1/streams/${await freshStream()}`, c) },
  { route: "POST /v1/streams/:name/events", need: "writer", ok: 202, send: (c) => call("POST", "/v1/streams/clicks/events", c, { user: "ann" }) },
  { route: "GET /v1/jobs", need: "reader", ok: 200, send: (c) => call("GET", "/v1/jobs", c) },
  { route: "POST /v1/jobs", need: "admin", ok: 201, send: (c) => call("POST", "/v1/jobs", c, countJob(`new${++fresh}`)) },
  { route: "POST /v1/jobs/validate", need: "admin", ok: 200, send: (c) => call("POST", "/v1/jobs/validate", c, countJob("dry")) },
  { route: "GET /v1/jobs/:id", need: "reader", ok: 200, send: (c) => call("GET", "/v1/jobs/counts", c) },
  // The same definition again: a change that keeps the state.
  { route: "PUT /v1/jobs/:id", need: "admin", ok: 200, send: (c) => call("PUT", "/v1/jobs/counts", c, countJob("counts")) },
  { route: "DELETE /v1/jobs/:id", need: "admin", ok: 204, send: async (c) => call("DELETE", `/v1/jobs/${await freshJob()}`, c) },
  { route: "POST /v1/jobs/:id/pause", need: "admin", ok: 200, send: async (c) => call("POST", `/v1/jobs/${await freshJob()}/pause`, c) },
  // A running job cannot be restarted: past the access check, the answer is 409.
  { route: "POST /v1/jobs/:id/restart", need: "admin", ok: 409, send: (c) => call("POST", "/v1/jobs/counts/restart", c) },
  { route: "POST /v1/jobs/:id/resume", need: "admin", ok: 200, send: async (c) => call("POST", `/v1/jobs/${await freshJob(true)}/resume`, c) },
  { route: "GET /v1/jobs/:id/results", need: "reader", ok: 200, send: (c) => call("GET", "/v1/jobs/counts/results", c) },
  { route: "GET /v1/jobs/:id/model", need: "reader", ok: 200, send: (c) => call("GET", "/v1/jobs/model/model", c) },
  { route: "GET /v1/jobs/:id/state", need: "reader", ok: 200, send: (c) => call("GET", "/v1/jobs/counts/state?key=ann", c) },
  { route: "GET /v1/jobs/:id/batches", need: "reader", ok: 200, send: (c) => call("GET", "/v1/jobs/counts/batches", c) },
  { route: "POST /v1/live-tokens", need: "reader", ok: 201, send: (c) => call("POST", "/v1/live-tokens", c) },
  // The live route is its own rows below (WebSocket and SSE); a plain GET is 426 once allowed.
  { route: "GET /v1/jobs/:id/results/live", need: "reader", ok: 426, send: (c) => call("GET", "/v1/jobs/counts/results/live", c) },
];

function expected(need: Need, credential: Credential, ok: number): number {
  if (need === "open") return ok;
  if (credential === "none" || credential === "malformed" || credential === "unknown") return 401;
  return RANK[credential] >= RANK[need] ? ok : 403;
}

beforeAll(async () => {
  const keys = ApiKeys.parse(Object.entries(KEYS).map(([role, key]) => `acme:${role}:${key}`).join(","), undefined);
  t = await createTestApp({ access: { keys: () => keys, liveTokens: new LiveTokens(), metricsRequireKey: false } });
  await t.app.listen({ port: 0, host: "127.0.0.1" });
  base = `127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  for (const route of routesFromTree(t.app.printRoutes({ commonPrefix: false }))) if (route.method !== "HEAD") registered.push(`${route.method} ${route.url}`);
  expect((await admin("POST", "/v1/streams", { name: "clicks" })).status).toBe(201);
  expect((await admin("POST", "/v1/jobs", countJob("counts"))).status).toBe(201);
  const model = { name: "model", input: "clicks", steps: [{ op: "trainLogisticRegression", features: ["x"], label: "y" }] };
  expect((await admin("POST", "/v1/jobs", model)).status).toBe(201);
  expect((await admin("POST", "/v1/streams/clicks/events", { user: "ann", x: 1, y: 1 })).status).toBe(202);
  await t.advance(1000);
});

afterAll(async () => {
  await t?.close();
});

describe("every route and every credential", () => {
  it("has a row for every route the app registers", () => {
    expect(ROWS.map((r) => r.route).sort()).toEqual([...registered].sort());
  });

  for (const row of ROWS) {
    for (const credential of CREDENTIALS) {
      const status = expected(row.need, credential, row.ok);
      it(`${row.route} with ${credential}: ${status}`, async () => {
        const answer = await row.send(credential);
        expect(answer.status, `code ${answer.code}`).toBe(status);
        if (status === 401) {
          expect(answer.code).toBe("UNAUTHORIZED");
          expect(answer.wwwAuthenticate).toMatch(/^Bearer/);
        }
        if (status === 403) expect(answer.code).toBe("FORBIDDEN");
      });
    }
  }

  it("an unknown path needs a key too, so an open 404 does not say what exists", async () => {
    expect((await call("GET", "/v1/nothing-here", "none")).status).toBe(401);
    expect((await call("GET", "/v1/nothing-here", "reader")).status).toBe(404);
  });
});

/** Opens the live route as a WebSocket; resolves to the hello, or the HTTP status that refused it. */
function openWebSocket(query: string, credential: Credential): Promise<{ hello?: Record<string, unknown>; status?: number }> {
  const headers: Record<string, string> = {};
  if (credential === "unknown") headers.authorization = `Bearer ${UNKNOWN_KEY}`;
  else if (credential === "malformed") headers.authorization = "Bearer";
  else if (credential !== "none") headers.authorization = `Bearer ${KEYS[credential]}`;
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://${base}/v1/jobs/counts/results/live${query}`, { headers });
    socket.on("unexpected-response", (_request, response) => {
      response.resume();
      response.on("end", () => resolve({ status: response.statusCode }));
    });
    socket.on("message", (data) => {
      resolve({ hello: JSON.parse(data.toString()) as Record<string, unknown> });
      socket.close();
    });
    socket.on("error", (error) => reject(error));
  });
}

/** Opens the live route as Server-Sent Events; resolves to the status and the first event's data. */
function openSse(query: string, credential: Credential): Promise<{ status: number; first?: string }> {
  const headers: Record<string, string> = { accept: "text/event-stream" };
  if (credential === "unknown") headers.authorization = `Bearer ${UNKNOWN_KEY}`;
  else if (credential === "malformed") headers.authorization = "Token x";
  else if (credential !== "none") headers.authorization = `Bearer ${KEYS[credential]}`;
  return new Promise((resolve, reject) => {
    const request = http.get(`http://${base}/v1/jobs/counts/results/live${query}`, { headers }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        resolve({ status: response.statusCode ?? 0 });
        return;
      }
      let body = "";
      response.on("data", (chunk: Buffer) => {
        body += chunk.toString();
        if (body.includes("\n\n")) {
          request.destroy();
          resolve({ status: 200, first: body });
        }
      });
    });
    request.on("error", reject);
  });
}

async function liveToken(credential: Role): Promise<string> {
  const response = await fetch(`http://${base}/v1/live-tokens`, { method: "POST", headers: { authorization: `Bearer ${KEYS[credential]}` } });
  expect(response.status).toBe(201);
  const body = (await response.json()) as { token: string; expiresInSeconds: number };
  expect(body.expiresInSeconds).toBe(60);
  return body.token;
}

describe("live subscriptions", () => {
  for (const credential of CREDENTIALS) {
    const status = expected("reader", credential, 200);
    it(`WebSocket with ${credential}: ${status === 200 ? "hello" : status}`, async () => {
      const answer = await openWebSocket("", credential);
      if (status === 200) expect(answer.hello?.type).toBe("hello");
      else expect(answer.status).toBe(status);
    });
    it(`SSE with ${credential}: ${status}`, async () => {
      const answer = await openSse("", credential);
      expect(answer.status).toBe(status);
      if (status === 200) expect(answer.first).toContain('"type":"hello"');
    });
  }

  it("a browser subscribes with a short-lived token instead of a key, over both transports", async () => {
    const token = await liveToken("reader");
    expect((await openWebSocket(`?token=${encodeURIComponent(token)}`, "none")).hello?.type).toBe("hello");
    expect((await openSse(`?token=${encodeURIComponent(token)}`, "none")).first).toContain('"type":"hello"');
  });

  it("a forged, altered or expired token is refused with 401", async () => {
    const token = await liveToken("reader");
    const altered = token.replace(/.$/, (c) => (c === "A" ? "B" : "A"));
    expect((await openWebSocket(`?token=${encodeURIComponent(altered)}`, "none")).status).toBe(401);
    expect((await openSse(`?token=not.a-token`, "none")).status).toBe(401);
    const past = new LiveTokens(() => Date.now() - 61_000);
    const expired = past.issue({ tenant: "acme", role: "admin" }).token;
    expect(new LiveTokens().verify(expired)).toBeUndefined(); // another server's secret
    expect((await openSse(`?token=${encodeURIComponent(expired)}`, "none")).status).toBe(401);
  });

  it("a token is good for the live route only, never as a key elsewhere", async () => {
    const token = await liveToken("reader");
    const response = await fetch(`http://${base}/v1/jobs?token=${encodeURIComponent(token)}`);
    expect(response.status).toBe(401);
  });
});
