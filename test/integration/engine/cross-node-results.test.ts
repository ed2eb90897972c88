/**
 * Two Tributary nodes on one real Redis: the job runs on node A only, and a live subscriber on node B
 * still gets every frame, in order, with no gap and no duplicate, frame for frame what a subscriber on
 * A gets; `?from=` resumes on B; a job deleted through A ends B's subscribers. Node A runs its batches
 * on a manual clock; node B runs no job and follows the result log on the wall clock, as a real node
 * does.
 */
import type { AddressInfo } from "node:net";
import supertest from "supertest";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildApp } from "../../../src/api/app.js";
import { JOB_ENDED_CLOSE } from "../../../src/api/routes/results.js";
import { SystemClock } from "../../../src/engine/clock.js";
import { createEngine, type Engine } from "../../../src/engine/engine.js";
import { Subscriptions } from "../../../src/engine/subscriptions.js";
import { createMetrics } from "../../../src/metrics/metrics.js";
import { openRedisStore } from "../../../src/store/redis/open-redis-store.js";
import type { ResultFrame, Store } from "../../../src/store/types.js";
import { InThreadRunner } from "../../../src/workers/in-thread-runner.js";
import { deleteKeysUnder, freshKeyPrefix } from "../../support/redis-prefix.js";
import { testRedis, type TestRedis } from "../../support/redis-server.js";
import { createTestApp, type TestApp } from "../../support/test-app.js";
import { LiveClient, type LiveMessage } from "../../support/ws-client.js";

/** Generous: node B polls every 150 ms, but the machine may be busy. */
const WAIT_MS = 30_000;

let redis: TestRedis;
beforeAll(async () => {
  redis = await testRedis();
});
afterAll(async () => {
  await redis?.dispose();
});

/** A node that runs no job: it only serves (the wall clock drives its follower). */
interface ServingNode {
  readonly engine: Engine;
  readonly store: Store;
  readonly base: string;
  close(): Promise<void>;
}

async function startServingNode(url: string, keyPrefix: string): Promise<ServingNode> {
  const store = await openRedisStore({ url, keyPrefix });
  const metrics = createMetrics({ defaultMetrics: false });
  const engine = createEngine({ store, runner: new InThreadRunner(), clock: new SystemClock(), metrics, defaultPartitions: 2 });
  const app = await buildApp({ shedding: { maxEventLoopDelayMs: 0, maxJobDelayMs: 0 }, engine, metrics });
  await engine.start();
  await app.listen({ port: 0, host: "127.0.0.1" });
  return {
    engine,
    store,
    base: `127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    async close() {
      await app.close();
      await engine.stop();
      await store.close();
    },
  };
}

let keyPrefix: string;
let nodeA: TestApp;
let baseA: string;
let nodeB: ServingNode;
const clients: LiveClient[] = [];

beforeEach(async () => {
  keyPrefix = freshKeyPrefix();
  // B starts first, so its start-up finds no job to run: the job is A's alone.
  nodeB = await startServingNode(redis.url, keyPrefix);
  nodeA = await createTestApp({ store: await openRedisStore({ url: redis.url, keyPrefix }) });
  await nodeA.app.listen({ port: 0, host: "127.0.0.1" });
  baseA = `127.0.0.1:${(nodeA.app.server.address() as AddressInfo).port}`;
  await supertest(nodeA.app.server).post("/v1/streams").send({ name: "words", partitions: 2 }).expect(201);
  await supertest(nodeA.app.server)
    .post("/v1/jobs")
    .send({ name: "totals", input: "words", steps: [{ op: "keyBy", key: "w" }, { op: "runningAggregate", aggs: { count: { fn: "count" } } }] })
    .expect(201);
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await nodeA?.close();
  await nodeB?.close();
  await deleteKeysUnder(redis.url, keyPrefix);
});

function live(base: string, query = ""): LiveClient {
  const client = new LiveClient(`ws://${base}/v1/jobs/totals/results/live${query}`);
  clients.push(client);
  return client;
}

/** Ingests through node B (any node accepts ingest), then runs one batch on node A. */
async function batches(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await supertest(`http://${nodeB.base}`)
      .post("/v1/streams/words/events")
      .send([{ w: ["a", "b", "c"][i % 3] }, { w: "a" }])
      .expect(202);
    await nodeA.advance(1000);
  }
}

const seqs = (messages: readonly LiveMessage[]) => messages.map((m) => m.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function hello(client: LiveClient): Promise<void> {
  await client.until(() => client.messages.some((m) => m.type === "hello"), WAIT_MS, "hello");
}

describe("a job running on node A", () => {
  it("reaches a subscriber on node B with every frame, in order, each once, as on node A", async () => {
    const onA = live(baseA);
    const onB = live(nodeB.base);
    await Promise.all([hello(onA), hello(onB)]);
    await batches(24);
    await onA.until(() => onA.results.length >= 24, WAIT_MS, "24 frames on A");
    await onB.until(() => onB.results.length >= 24, WAIT_MS, "24 frames on B");
    expect(seqs(onA.results)).toEqual(range(1, 24));
    expect(seqs(onB.results)).toEqual(range(1, 24));
    expect(onB.results).toEqual(onA.results);
    expect(onB.results.at(-1)!.rows).toEqual(expect.arrayContaining([{ key: "a", count: 32 }]));
  });

  it("resumes on node B with ?from=: retained frames, then live ones, with no gap and no duplicate", async () => {
    await batches(8);
    const resumed = live(nodeB.base, "?from=4");
    await resumed.until(() => resumed.results.length >= 5, WAIT_MS, "frames 4..8");
    await batches(6);
    await resumed.until(() => resumed.results.length >= 11, WAIT_MS, "frames 4..14");
    expect(seqs(resumed.results)).toEqual(range(4, 14));
    const page = await supertest(nodeA.app.server).get("/v1/jobs/totals/results?from=4&limit=100").expect(200);
    expect(resumed.results.map(({ type: _type, ...frame }) => frame)).toEqual(page.body.frames);
  });

  it("ends node B's subscribers when it is deleted through node A", async () => {
    const onB = live(nodeB.base, "?from=1");
    await hello(onB);
    await batches(2);
    await onB.until(() => onB.results.length >= 2, WAIT_MS, "2 frames");
    await supertest(nodeA.app.server).delete("/v1/jobs/totals").expect(204);
    await onB.until(() => onB.closed !== undefined, WAIT_MS, "the close");
    expect(onB.closed).toEqual({ code: JOB_ENDED_CLOSE, reason: "job deleted" });
  });
});

describe("frames of a job on another node, published on this one out of order", () => {
  it("are delivered in seq order, holes read from the Redis result log", async () => {
    const log = nodeA.store.results;
    for (let seq = 1; seq <= 6; seq++) await log.append("elsewhere", { seq, batchTime: seq * 1000, rows: [{ seq }] });
    const subscriptions = new Subscriptions(nodeB.store.results, new SystemClock());
    const received: ResultFrame[] = [];
    await subscriptions.subscribe("elsewhere", 1, { frame: (f) => received.push(f), end: () => undefined });
    expect(received.map((f) => f.seq)).toEqual(range(1, 6));
    for (let seq = 7; seq <= 10; seq++) await log.append("elsewhere", { seq, batchTime: seq * 1000, rows: [{ seq }] });
    for (const seq of [9, 7, 10, 6, 9]) subscriptions.publish("elsewhere", (await log.read("elsewhere", seq, 1))[0]!);
    await expect.poll(() => received.map((f) => f.seq), { timeout: WAIT_MS }).toEqual(range(1, 10));
    expect(received.slice(6)).toEqual(await log.read("elsewhere", 7, 4));
  });
});
