/**
 * Nothing lost, nothing doubled: while a client pushes events (retrying each request with its
 * Idempotency-Key until it is acknowledged) and a subscriber follows the results (resuming with
 * ?from after every disconnect), the server is SIGKILLed at random moments and restarted. At the end
 * the running totals equal an exact recount of every event, and the subscriber saw every seq once.
 */
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { random, tweets } from "../../examples/lib/corpus.mjs";
import { countWords, ResumingSubscriber, sleep, type Row } from "../support/cluster-nodes.js";
import { testRedis, type TestRedis } from "../support/redis-server.js";
import { ServerProcess } from "../support/server-process.js";

let server: ServerProcess | undefined;
let redis: TestRedis | undefined;
afterAll(async () => {
  await server?.dispose();
  await redis?.dispose();
});

/** Where the server keeps its state: its data directory, or a Redis of this test's own. */
const STORES: [string, () => Promise<Record<string, string>>][] = [
  ["the embedded store", async () => ({})],
  [
    "Redis",
    async () => {
      redis = await testRedis({ appendonly: true, appendfsync: "always" });
      return { REDIS_URL: redis.url, REDIS_KEY_PREFIX: `crash-${randomUUID()}:` };
    },
  ],
];

describe.each(STORES)("crash loop on %s", (_store, storeEnv) => {
  it("SIGKILLed and restarted mid-ingest: totals equal a recount of every acknowledged event, every seq seen once", async () => {
    await server?.dispose();
    server = await ServerProcess.start({ WORKERS: "2", CHECKPOINT_INTERVAL_MS: "1000", ...(await storeEnv()) });
    const s = server;
    expect((await s.request("POST", "/v1/streams", { name: "tweets", partitions: 4 })).status).toBe(201);
    const job = {
      name: "totals",
      input: "tweets",
      batchInterval: "200ms",
      steps: [{ op: "flatMap", expr: "text.split(' ')", as: "word" }, { op: "keyBy", key: "word" }, { op: "runningAggregate", aggs: { count: { fn: "count" } } }],
    };
    expect((await s.request("POST", "/v1/jobs", job)).status).toBe(201);
    const subscriber = new ResumingSubscriber(s, "totals");

    // The pusher: 60 requests of 40 events; each is retried with its key until it gets a 202.
    const corpus = tweets(2400, 11) as Row[];
    const acknowledged: Row[] = [];
    let unavailable = 0;
    const pushing = (async () => {
      for (let r = 0; r < 60; r++) {
        const events = corpus.slice(r * 40, (r + 1) * 40);
        const key = randomUUID();
        for (let attempt = 0; ; attempt++) {
          if (attempt > 400) throw new Error(`request ${r} was never acknowledged`);
          try {
            const res = await s.request("POST", "/v1/streams/tweets/events", events, { "idempotency-key": key });
            if (res.status === 202) break;
            unavailable++;
          } catch {
            unavailable++; // connection refused or cut: the server is down; retry the same request
          }
          await sleep(50);
        }
        acknowledged.push(...events);
        await sleep(25);
      }
    })();

    // The killer: four SIGKILLs at random moments, each followed by a restart.
    const next = random(5);
    for (let k = 0; k < 4; k++) {
      await sleep(300 + Math.floor(next() * 600));
      await s.restart();
    }
    await pushing;

    const expected = countWords(acknowledged);
    const expectedTotal = [...expected.values()].reduce((a, b) => a + b, 0);
    const deadline = Date.now() + 30_000;
    while (subscriber.total !== expectedTotal && Date.now() < deadline) await sleep(100);
    subscriber.stop();

    expect(acknowledged).toHaveLength(2400);
    expect(new Map(subscriber.last.map((row) => [String(row.key), Number(row.count)]))).toEqual(expected);
    const seqs = subscriber.frames.map((f) => f.seq);
    expect(seqs.length).toBeGreaterThan(10);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    // The kills really interrupted ingest: some requests had to be retried.
    expect(unavailable).toBeGreaterThan(0);
  }, 120_000);
});
