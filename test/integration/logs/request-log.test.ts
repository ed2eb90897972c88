/**
 * The request log: one info line per request (method, route, status, duration, request id) and the
 * rest at debug; the client's X-Request-Id is kept when it is a plausible id, else one is made, and
 * either way it comes back in the response. No query string, key or body reaches the log.
 */
import supertest from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { ApiKeys } from "../../../src/api/auth/api-keys.js";
import { LiveTokens } from "../../../src/api/auth/live-tokens.js";
import { captureLog, INFO, type CapturedLog } from "../../support/log-lines.js";
import { createTestApp, type TestApp } from "../../support/test-app.js";

const KEY = "key-that-must-not-be-logged-7c1f";
const SECRET_QUERY = "token-that-must-not-be-logged-91ab";
const SECRET_BODY = "event-text-that-must-not-be-logged-55e2";

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function start(level: string): Promise<{ http: supertest.Agent; log: CapturedLog }> {
  const log = captureLog(level);
  const keys = ApiKeys.parse(`default:admin:${KEY}`, undefined);
  t = await createTestApp({ logger: log.logger, access: { keys: () => keys, liveTokens: new LiveTokens(), metricsRequireKey: false } });
  await t.app.ready();
  return { http: supertest.agent(t.app.server).set("authorization", `Bearer ${KEY}`), log };
}

describe("the request log", () => {
  it("writes one info line per request with its method, route, status, duration and the client's request id", async () => {
    const { http, log } = await start("info");
    const res = await http.get("/v1/streams").set("x-request-id", "client-req-42");
    expect(res.headers["x-request-id"]).toBe("client-req-42");
    const mine = log.lines.filter((l) => l.reqId === "client-req-42");
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ level: INFO, msg: "request", method: "GET", route: "/v1/streams", status: 200 });
    expect(typeof mine[0]!.durationMs).toBe("number");
    // Fastify's own per-request lines are not at info.
    expect(log.named("incoming request")).toEqual([]);
    expect(log.named("request completed")).toEqual([]);
  });

  it("makes an id when the client sends none or one that is too long or holds unsafe characters, and returns it", async () => {
    const { http, log } = await start("info");
    const sent = [undefined, "x".repeat(129), "two words", "semi;colon", '{"level":60}'];
    const returned: string[] = [];
    for (const id of sent) {
      const req = http.get("/healthz");
      const res = await (id === undefined ? req : req.set("x-request-id", id));
      expect(res.status).toBe(200);
      const given = res.headers["x-request-id"] as string;
      expect(given).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      returned.push(given);
      expect(log.lines.filter((l) => l.reqId === given && l.msg === "request")).toHaveLength(1);
    }
    expect(new Set(returned).size).toBe(sent.length);
    expect(log.text()).not.toContain("two words");
    // 128 characters is still an id.
    const longest = "a".repeat(128);
    expect((await http.get("/healthz").set("x-request-id", longest)).headers["x-request-id"]).toBe(longest);
  });

  it("keeps Fastify's per-request lines at debug, and never logs a query string, a key or a body", async () => {
    const { http, log } = await start("debug");
    await http.post("/v1/streams").send({ name: "notes" }).expect(201);
    // Refused (the route takes no query), and logged without its query string.
    await http.post(`/v1/streams/notes/events?token=${SECRET_QUERY}`).set("x-request-id", "ingest-1").send([{ text: SECRET_BODY }]).expect(400);
    await http.post("/v1/streams/notes/events").set("x-request-id", "ingest-2").send([{ text: SECRET_BODY }]).expect(202);
    const refused = log.lines.filter((l) => l.reqId === "ingest-1");
    expect(refused.map((l) => l.msg)).toEqual(["incoming request", "request"]);
    expect(refused[0]).toMatchObject({ level: 20, req: { method: "POST", url: "/v1/streams/notes/events", route: "/v1/streams/:name/events" } });
    expect(refused[1]).toMatchObject({ level: INFO, route: "/v1/streams/:name/events", status: 400 });
    const mine = log.lines.filter((l) => l.reqId === "ingest-2");
    expect(mine.map((l) => l.msg)).toEqual(["incoming request", "request"]);
    expect(mine[1]).toMatchObject({ level: INFO, route: "/v1/streams/:name/events", status: 202 });
    const text = log.text();
    for (const secret of [SECRET_QUERY, SECRET_BODY, KEY, "token="]) expect(text).not.toContain(secret);
  });
});
