/**
 * The Redis store against the store contract (each test store under a fresh random key prefix, its keys
 * deleted after), plus what only Redis has: its key layout, Redis killed and restarted, Redis stalled,
 * and warnings about the server's settings. Runs against REDIS_URL when set; the tests that kill, pause
 * or reconfigure a server then skip, saying why.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasWaitAof } from "../../../src/store/redis/aof-fsync.js";
import { RedisKeys } from "../../../src/store/redis/redis-keys.js";
import { DEFAULT_COMMAND_TIMEOUT_MS, openRedisStore, type RedisStore, type RedisStoreOptions } from "../../../src/store/redis/open-redis-store.js";
import { StoreUnavailableError } from "../../../src/store/types.js";
import { EXTERNAL_REDIS_URL, freePort, NEEDS_OWN_SERVER, RedisServer, testRedis, type TestRedis } from "../../support/redis-server.js";
import { bytes, descriptor, frame, jobRecord, streamDefinition, text } from "./conformance/fixtures.js";
import { CONFORMANCE_RESULT_HISTORY, CONFORMANCE_RESULT_HISTORY_ROWS, CONFORMANCE_RESULT_RECENT_SEQS, describeStoreConformance } from "./store-conformance.js";

let redis: TestRedis;
let admin: Redis;

beforeAll(async () => {
  redis = await testRedis();
  admin = new Redis(redis.url);
});

afterAll(async () => {
  await admin?.quit();
  await redis?.dispose();
});

function freshPrefix(): string {
  return `trib-test-${randomBytes(6).toString("hex")}:`;
}

/** Deletes every key under `prefix`. */
async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  for (const keys of await scanAll(client, prefix)) if (keys.length > 0) await client.unlink(...keys);
}

async function scanAll(client: Redis, prefix: string): Promise<string[][]> {
  const batches: string[][] = [];
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", new RedisKeys(prefix).pattern(), "COUNT", 1000);
    batches.push(keys);
    cursor = next;
  } while (cursor !== "0");
  return batches;
}

describeStoreConformance("redis", async (options) => {
  const keyPrefix = freshPrefix();
  const open = (): Promise<RedisStore> => openRedisStore({ ...options, url: redis.url, keyPrefix, resultHistory: CONFORMANCE_RESULT_HISTORY, resultHistoryRows: CONFORMANCE_RESULT_HISTORY_ROWS, resultRecentSeqs: CONFORMANCE_RESULT_RECENT_SEQS });
  return { store: await open(), reopen: open, cleanup: () => deleteKeys(admin, keyPrefix) };
});

describe("redis result log", () => {
  it("reads the rows and batch times of a history an older version stored from its frames, and trims from then on", async () => {
    const keyPrefix = freshPrefix();
    const store = await openRedisStore({ url: redis.url, keyPrefix, resultHistory: 10, resultHistoryRows: 5, resultRecentSeqs: 2 });
    try {
      const key = `${keyPrefix}{job:job-a}:results`;
      // What an older version left: every frame (one without rows among them), and row counts of none.
      await admin.zadd(key, 1, JSON.stringify(frame(1)), 2, JSON.stringify(frame(2, [])), 3, JSON.stringify(frame(3)));
      await admin.rpush(`${keyPrefix}{job:job-a}:result-rows`, "0", "0", "0");
      await store.results.append("job-a", frame(4, [{ a: 1 }, { a: 2 }]));
      expect(await store.results.bounds("job-a")).toEqual({ first: 1, last: 4 });
      expect(await admin.lrange(`${keyPrefix}{job:job-a}:result-history`, 0, -1)).toEqual(["1 1 1000", "3 1 3000", "4 2 4000"]);
      expect(await admin.exists(`${keyPrefix}{job:job-a}:result-rows`)).toBe(0);
      // 2 is more than 2 seqs back from 4: a frame without rows that is no longer kept.
      expect((await store.results.read("job-a", 0, 10)).map((each) => each.seq)).toEqual([1, 3, 4]);
      await store.results.append("job-a", frame(5, [{ a: 1 }, { a: 2 }, { a: 3 }, { a: 4 }]));
      // 8 rows > 5: the oldest frames go until the rest fit.
      expect(await store.results.bounds("job-a")).toEqual({ first: 5, last: 5 });
      expect(await admin.get(`${keyPrefix}{job:job-a}:result-total`)).toBe("4");
    } finally {
      await store.close();
      await deleteKeys(admin, keyPrefix);
    }
  });
});

describe("redis store keys", () => {
  it("lays its keys out as documented, every one under its prefix and in its hash tag", async () => {
    const keyPrefix = freshPrefix();
    const store = await openRedisStore({ url: redis.url, keyPrefix });
    try {
      await store.streams.append("clicks", 3, { count: 1, payload: bytes("a"), requestId: "req-1" });
      await store.batches.record(descriptor("job-a", 1_000));
      await store.results.append("job-a", frame(1));
      await store.catalog.putStream(streamDefinition("clicks"));
      await store.catalog.putJob(jobRecord("job-a"));
      await store.checkpoints.save("job-a", 1_000, 0, bytes("state"));
      await store.checkpoints.complete("job-a", 1_000, 1);
      await store.streams.drop("views"); // a drop of a stream never written leaves nothing behind
      const keys = (await scanAll(admin, keyPrefix)).flat().map((key) => key.slice(keyPrefix.length)).sort();
      expect(keys).toEqual(
        [
          "{catalog}:jobs",
          "{catalog}:streams",
          "{job:job-a}:batches",
          "{job:job-a}:checkpoints",
          "{job:job-a}:result-first",
          "{job:job-a}:result-history",
          "{job:job-a}:result-total",
          "{job:job-a}:results",
          "{job:job-a}:snapshots",
          "{stream:clicks}:3:blocks",
          "{stream:clicks}:3:request:req-1",
          "{stream:clicks}:offsets",
        ].sort(),
      );
      expect(await admin.hgetall(`${keyPrefix}{stream:clicks}:offsets`)).toEqual({ "3:end": "1", "3:events": "1", "3:bytes": "1" });
      expect(await admin.pttl(`${keyPrefix}{stream:clicks}:3:request:req-1`)).toBeGreaterThan(23 * 3_600_000);
      const [[id, fields]] = (await admin.xrange(`${keyPrefix}{stream:clicks}:3:blocks`, "-", "+")) as [[string, string[]]];
      expect(id).toBe("0-1");
      expect(fields.filter((_, i) => i % 2 === 0)).toEqual(["c", "t", "p", "e", "b"]);
    } finally {
      await store.close();
      await deleteKeys(admin, keyPrefix);
    }
  });

  it("refuses a key prefix with a brace, which would put every key in one hash slot", async () => {
    await expect(openRedisStore({ url: redis.url, keyPrefix: "{trib}:" })).rejects.toThrow(RangeError);
  });
});

describe("redis store connection", () => {
  it("fails to open, with StoreUnavailableError, when nobody listens", async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const started = Date.now();
    await expect(openRedisStore({ url, connectTimeoutMs: 500 })).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("quits its connection on close", async (ctx) => {
    if (EXTERNAL_REDIS_URL) ctx.skip(NEEDS_OWN_SERVER);
    const name = () => admin.client("LIST").then((list) => String(list).split("\n").filter((line) => line.includes("name=tributary")).length);
    const store = await openRedisStore({ url: redis.url, keyPrefix: freshPrefix() });
    expect(await name()).toBe(1);
    await store.close();
    await expect.poll(name, { timeout: 2_000 }).toBe(0);
    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});

/** One call of every kind the engine makes, for checking that each fails fast. */
function everyOperation(store: RedisStore): [string, () => Promise<unknown>][] {
  return [
    ["append", () => store.streams.append("clicks", 0, { count: 1, payload: bytes("x") })],
    ["append with a requestId", () => store.streams.append("clicks", 0, { count: 1, payload: bytes("x"), requestId: "down" })],
    ["endOffset", () => store.streams.endOffset("clicks", 0)],
    ["startOffset", () => store.streams.startOffset("clicks", 0)],
    ["read", () => store.streams.read({ stream: "clicks", partition: 0, from: 0, to: 10 })],
    ["trim", () => store.streams.trim("clicks", 0, 1)],
    ["drop", () => store.streams.drop("clicks")],
    ["batches.record", () => store.batches.record(descriptor("job-a", 9_000))],
    ["batches.list", () => store.batches.list("job-a", 0, 10)],
    ["batches.trim", () => store.batches.trim("job-a", 1)],
    ["results.append", () => store.results.append("job-a", frame(2))],
    ["results.read", () => store.results.read("job-a", 0, 10)],
    ["results.bounds", () => store.results.bounds("job-a")],
    ["catalog.putStream", () => store.catalog.putStream(streamDefinition("views"))],
    ["catalog.listJobs", () => store.catalog.listJobs()],
    ["checkpoints.save", () => store.checkpoints.save("job-a", 2_000, 0, bytes("s"))],
    ["checkpoints.complete", () => store.checkpoints.complete("job-a", 2_000, 1)],
    ["checkpoints.load", () => store.checkpoints.load("job-a", 1_000, 0)],
    ["ping", () => store.ping()],
    ["warnings", () => store.warnings()],
  ];
}

/** Runs `operation`, expecting StoreUnavailableError; returns how long the rejection took. */
async function timeRejection(operation: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await expect(operation()).rejects.toBeInstanceOf(StoreUnavailableError);
  return performance.now() - started;
}

describe("redis store when Redis is killed", () => {
  it("rejects every operation fast, keeps what it acknowledged, and works again after a restart", async (ctx) => {
    if (EXTERNAL_REDIS_URL) ctx.skip(NEEDS_OWN_SERVER);
    const server = await RedisServer.start({ appendonly: true });
    const store = await openRedisStore({ url: server.url, keyPrefix: freshPrefix() });
    try {
      for (let n = 0; n < 20; n++) await store.streams.append("clicks", 0, { count: 1, payload: bytes(`b${n}`), requestId: `r${n}` });
      await store.batches.record(descriptor("job-a", 1_000));
      await store.results.append("job-a", frame(1));
      await store.catalog.putJob(jobRecord("job-a"));
      await store.checkpoints.save("job-a", 1_000, 0, bytes("state"));
      await store.checkpoints.complete("job-a", 1_000, 1);

      // Appends in flight when Redis dies: each must settle, stored (resolved) or not (rejected).
      const inFlight = Array.from({ length: 300 }, (_, n) =>
        store.streams.append("clicks", 1, { count: 1, payload: bytes(`f${n}`) }).then(
          (result) => ({ n, offset: result.offset }),
          (error: unknown) => ({ n, error }),
        ),
      );
      const killed = performance.now();
      await server.stop("SIGKILL");
      const settled = await Promise.all(inFlight);
      expect(performance.now() - killed).toBeLessThan(3_000);
      const acknowledged = settled.flatMap((each) => ("offset" in each ? [each] : []));
      for (const each of settled) if ("error" in each) expect(each.error).toBeInstanceOf(StoreUnavailableError);

      for (const [what, operation] of everyOperation(store)) {
        const took = await timeRejection(operation);
        expect(took, `${what} took ${took.toFixed(0)} ms`).toBeLessThan(3_000);
      }

      await server.restart();
      // The connection comes back by itself: no reopen.
      await expect.poll(() => store.ping().then(() => true, () => false), { timeout: 10_000, interval: 100 }).toBe(true);

      expect(await store.streams.endOffset("clicks", 0)).toBe(20);
      const blocks = await store.streams.read({ stream: "clicks", partition: 0, from: 0, to: 100 });
      expect(blocks.map((block) => text(block.payload))).toEqual(Array.from({ length: 20 }, (_, n) => `b${n}`));
      const stored = new Map((await store.streams.read({ stream: "clicks", partition: 1, from: 0, to: 1_000 })).map((b) => [b.offset, text(b.payload)]));
      for (const { n, offset } of acknowledged) expect(stored.get(offset)).toBe(`f${n}`);
      expect(await store.batches.list("job-a", 0, 10)).toEqual([descriptor("job-a", 1_000)]);
      expect(await store.results.bounds("job-a")).toEqual({ first: 1, last: 1 });
      expect(await store.catalog.getJob("job-a")).toEqual(jobRecord("job-a"));
      expect(await store.checkpoints.listComplete("job-a")).toEqual([1_000]);

      expect(await store.streams.append("clicks", 0, { count: 1, payload: bytes("b20") })).toEqual({ offset: 20, duplicate: false });
      expect(await store.streams.append("clicks", 0, { count: 1, payload: bytes("retry"), requestId: "r5" })).toEqual({ offset: 5, duplicate: true });
      await store.results.append("job-a", frame(2));
    } finally {
      await store.close();
      await server.dispose();
    }
  }, 30_000);
});

describe("redis store when Redis stalls", () => {
  it("rejects a write within the command timeout instead of hanging, and carries on after the stall", async (ctx) => {
    if (EXTERNAL_REDIS_URL) ctx.skip(NEEDS_OWN_SERVER);
    const commandTimeoutMs = DEFAULT_COMMAND_TIMEOUT_MS;
    const server = await RedisServer.start();
    const store = await openRedisStore({ url: server.url, keyPrefix: freshPrefix() });
    try {
      await store.streams.append("clicks", 0, { count: 1, payload: bytes("before"), requestId: "r0" });
      server.pause();
      const write = await timeRejection(() => store.streams.append("clicks", 0, { count: 1, payload: bytes("stalled"), requestId: "r1" }));
      expect(write).toBeGreaterThanOrEqual(commandTimeoutMs - 50);
      expect(write).toBeLessThan(commandTimeoutMs + 1_000);
      expect(await timeRejection(() => store.ping())).toBeLessThan(commandTimeoutMs + 1_000);
      server.resume();

      // The stalled append reached Redis and ran after the stall: a retry with its requestId finds it
      // instead of storing it twice. (Without a requestId the retry would duplicate the block.)
      expect(await store.streams.append("clicks", 0, { count: 1, payload: bytes("retry"), requestId: "r1" })).toEqual({ offset: 1, duplicate: true });
      expect(await store.streams.append("clicks", 0, { count: 1, payload: bytes("after") })).toEqual({ offset: 2, duplicate: false });
      const blocks = await store.streams.read({ stream: "clicks", partition: 0, from: 0, to: 10 });
      expect(blocks.map((block) => text(block.payload))).toEqual(["before", "stalled", "after"]);
      await store.ping();
    } finally {
      server.resume();
      await store.close();
      await server.dispose();
    }
  }, 20_000);
});

describe("redis store warnings", () => {
  const withServer = async (
    options: Parameters<typeof RedisServer.start>[0],
    check: (store: RedisStore, server: RedisServer) => Promise<void>,
    storeOptions: Partial<RedisStoreOptions> = {},
  ): Promise<void> => {
    const server = await RedisServer.start(options);
    let store: RedisStore | undefined;
    try {
      store = await openRedisStore({ url: server.url, keyPrefix: freshPrefix(), ...storeOptions });
      await check(store, server);
    } finally {
      await store?.close();
      await server.dispose();
    }
  };

  it("warns when appendonly is off", async (ctx) => {
    if (EXTERNAL_REDIS_URL) ctx.skip(NEEDS_OWN_SERVER);
    await withServer({ appendonly: false }, async (store) => {
      const warnings = await store.warnings();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/appendonly "no"/);
    });
  });

  it("warns when Redis may evict keys", async (ctx) => {
    if (EXTERNAL_REDIS_URL) ctx.skip(NEEDS_OWN_SERVER);
    await withServer({ appendonly: true, maxmemoryPolicy: "allkeys-lru" }, async (store) => {
      const warnings = await store.warnings();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/maxmemory-policy "allkeys-lru"/);
    });
  });

  it("gives no warning with appendonly yes and maxmemory-policy noeviction", async (ctx) => {
    if (EXTERNAL_REDIS_URL) ctx.skip(NEEDS_OWN_SERVER);
    await withServer({ appendonly: true, maxmemoryPolicy: "noeviction" }, async (store) => {
      expect(await store.warnings()).toEqual([]);
    });
  });

  it("warns that acknowledged events can be lost with appendfsync everysec when it does not wait for the fsync", async (ctx) => {
    if (EXTERNAL_REDIS_URL) ctx.skip(NEEDS_OWN_SERVER);
    await withServer(
      { appendonly: true, appendfsync: "everysec" },
      async (store) => {
        const warnings = await store.warnings();
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toMatch(/appendfsync "everysec" .*REDIS_WAIT_FSYNC=never.*can lose up to about a second of events already acknowledged/);
      },
      { waitFsync: "never" },
    );
  });

  it("with the default REDIS_WAIT_FSYNC=auto and appendfsync everysec, waits for the fsync where Redis has WAITAOF and warns where it has not", async (ctx) => {
    if (EXTERNAL_REDIS_URL) ctx.skip(NEEDS_OWN_SERVER);
    await withServer({ appendonly: true, appendfsync: "everysec" }, async (store, server) => {
      const version = await redisVersion(server.url);
      const warnings = await store.warnings();
      if (hasWaitAof(version)) expect(warnings).toEqual([]);
      else expect(warnings).toEqual([expect.stringMatching(new RegExp(`appendfsync "everysec" .*Redis ${version.replaceAll(".", "\\.")} has no WAITAOF`))]);
      expect(await store.streams.append("clicks", 0, { count: 1, payload: bytes("x") })).toEqual({ offset: 0, duplicate: false });
    });
  });

  it("with REDIS_WAIT_FSYNC=always, acknowledges a write only once Redis confirms its fsync, and refuses (unavailable, saying why) when it cannot", async (ctx) => {
    if (EXTERNAL_REDIS_URL) ctx.skip(NEEDS_OWN_SERVER);
    await withServer(
      { appendonly: true, appendfsync: "everysec" },
      async (store, server) => {
        const version = await redisVersion(server.url);
        const outcomes = await Promise.allSettled([store.streams.append("clicks", 0, { count: 1, payload: bytes("x") }), store.results.append("job", frame(1))]);
        if (hasWaitAof(version)) {
          expect(await store.warnings()).toEqual([]);
          expect(outcomes).toEqual([{ status: "fulfilled", value: { offset: 0, duplicate: false } }, { status: "fulfilled", value: undefined }]);
          return;
        }
        expect(await store.warnings()).toEqual([expect.stringMatching(/REDIS_WAIT_FSYNC=always needs WAITAOF.*answered 503/)]);
        for (const outcome of outcomes) {
          expect(outcome.status).toBe("rejected");
          const error = (outcome as PromiseRejectedResult).reason as Error;
          expect(error).toBeInstanceOf(StoreUnavailableError);
          expect(error.message).toMatch(new RegExp(`WAITAOF failed .*needs Redis 7\\.2 or newer \\(this is Redis ${version.replaceAll(".", "\\.")}\\)`));
        }
      },
      { waitFsync: "always" },
    );
  });

  it("says it cannot check, rather than failing, when CONFIG is not allowed", async (ctx) => {
    if (EXTERNAL_REDIS_URL) ctx.skip(NEEDS_OWN_SERVER);
    const server = await RedisServer.start({ appendonly: true });
    const setup = new Redis(server.url);
    let store: RedisStore | undefined;
    try {
      await setup.call("ACL", "SETUSER", "ingest", "on", ">s3cret", "~*", "&*", "+@all", "-config");
      store = await openRedisStore({ url: `redis://ingest:s3cret@127.0.0.1:${server.port}`, keyPrefix: freshPrefix() });
      const warnings = await store.warnings();
      expect(warnings).toHaveLength(3);
      for (const warning of warnings) expect(warning).toMatch(/cannot check .*CONFIG GET is not allowed/);
      expect(warnings.join("\n")).toMatch(/appendfsync/);
      expect(await store.streams.append("clicks", 0, { count: 1, payload: bytes("x") })).toEqual({ offset: 0, duplicate: false });
    } finally {
      await store?.close();
      await setup.quit();
      await server.dispose();
    }
  });
});

async function redisVersion(url: string): Promise<string> {
  const client = new Redis(url);
  try {
    return /^redis_version:(\S+)/m.exec(await client.info("server"))![1]!;
  } finally {
    client.disconnect();
  }
}
