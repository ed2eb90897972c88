/**
 * What a 202 means with Redis as the system of record. With `appendfsync always` every write is on
 * disk before Redis answers it, so Redis SIGKILLed in the middle of ingest, then the server SIGKILLed
 * too, loses nothing that was acknowledged: once both are back, every acknowledged request is counted
 * in full, and none twice. With `appendfsync everysec`, where the server cannot wait for the fsync, it
 * says at start-up that acknowledged events can be lost.
 */
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { hasWaitAof } from "../../src/store/redis/aof-fsync.js";
import { EXTERNAL_REDIS_URL, RedisServer } from "../support/redis-server.js";
import { ServerProcess } from "../support/server-process.js";

type Row = Record<string, unknown>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const EVENTS_PER_REQUEST = 20;

let server: ServerProcess | undefined;
let redis: RedisServer | undefined;
afterEach(async () => {
  await server?.dispose();
  await redis?.dispose();
  server = undefined;
  redis = undefined;
});

/** One request's events, each tagged with the request, so the job counts every request apart. */
const requestEvents = (req: number) => Array.from({ length: EVENTS_PER_REQUEST }, (_, i) => ({ req: `r${req}`, i }));

// Skipped when REDIS_URL is set: these tests kill their own redis-server.
describe.skipIf(EXTERNAL_REDIS_URL)("Redis fsync and acknowledged events", () => {
  it("keeps every acknowledged event when Redis (appendfsync always) and then the server are SIGKILLed during ingest", async () => {
    redis = await RedisServer.start({ appendonly: true, appendfsync: "always" });
    server = await ServerProcess.start({ REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: "1000", WORKERS: "1", CHECKPOINT_INTERVAL_MS: "1000" });
    const s = server;
    expect((await s.request("POST", "/v1/streams", { name: "orders", partitions: 2 })).status).toBe(201);
    const job = { name: "per-request", input: "orders", batchInterval: "200ms", steps: [{ op: "keyBy", key: "req" }, { op: "runningAggregate", aggs: { count: { fn: "count" } } }] };
    expect((await s.request("POST", "/v1/jobs", job)).status).toBe(201);

    const acknowledged = new Set<string>();
    let sent = 0;
    let pushing = true;
    const push = async (req: number): Promise<void> => {
      try {
        const res = await fetch(`${s.url}/v1/streams/orders/events`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(requestEvents(req)) });
        if (res.status === 202) acknowledged.add(`r${req}`);
        await res.body?.cancel();
      } catch {
        await sleep(50); // the server is down: not acknowledged
      }
    };
    const client = async () => {
      while (pushing) await push(sent++);
    };
    const clients = Promise.all([client(), client(), client()]);

    // Redis dies while requests are in flight, then the server does too.
    while (acknowledged.size < 30) await sleep(10);
    await redis.stop("SIGKILL");
    await sleep(300);
    await s.kill("SIGKILL");
    pushing = false;
    await clients;
    const beforeCrash = acknowledged.size;

    await redis.restart();
    await s.launch();
    for (let i = 0; i < 5; i++) await push(sent++);
    expect(acknowledged.size).toBeGreaterThan(beforeCrash);

    const latest = async (): Promise<Map<string, number>> => {
      // Until the restarted job has run a batch there may be no frame yet: the log is empty (last 0).
      const page = await s.request<{ last: number }>("GET", "/v1/jobs/per-request/results?limit=1");
      const [frame] = (await s.request<{ frames: { rows: Row[] }[] }>("GET", `/v1/jobs/per-request/results?from=${Math.max(1, page.body.last)}&limit=1`)).body.frames;
      return new Map((frame?.rows ?? []).map((r) => [String(r.key), Number(r.count)]));
    };
    const deadline = Date.now() + 60_000;
    let counts = await latest();
    while ([...acknowledged].some((req) => counts.get(req) !== EVENTS_PER_REQUEST) && Date.now() < deadline) {
      await sleep(200);
      counts = await latest();
    }

    const lost = [...acknowledged].filter((req) => counts.get(req) !== EVENTS_PER_REQUEST);
    expect(lost).toEqual([]);
    // A request that got no 202 may or may not have been stored, but never counted twice.
    for (const [req, count] of counts) expect(count, req).toBeLessThanOrEqual(EVENTS_PER_REQUEST);
  }, 120_000);

  it("warns at start-up that acknowledged events can be lost when Redis runs with appendfsync everysec and cannot confirm the fsync", async () => {
    redis = await RedisServer.start({ appendonly: true, appendfsync: "everysec" });
    server = await ServerProcess.start({ REDIS_URL: redis.url, WORKERS: "0" });
    const client = new Redis(redis.url);
    const version = /^redis_version:(\S+)/m.exec(await client.info("server"))![1]!;
    client.disconnect();
    const warning = /appendfsync \\"everysec\\" .*can lose up to about a second of events already acknowledged with 202/;
    // Redis 7.2 and newer have WAITAOF: then ingest waits for the fsync and there is nothing to warn about.
    if (hasWaitAof(version)) expect(server.logs()).not.toMatch(/appendfsync/);
    else expect(server.logs()).toMatch(warning);

    await server.restart({ REDIS_WAIT_FSYNC: "never" });
    expect(server.logs()).toMatch(warning);
    expect(server.logs()).toMatch(/REDIS_WAIT_FSYNC=never/);
  }, 60_000);
});
