/**
 * What an operator reads in the log about what runs under the jobs: the store stopping to answer and
 * coming back (one line each, not one per failed request), and a worker thread dying and being
 * replaced.
 */
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { SystemClock } from "../../../src/engine/clock.js";
import { createEngine, type Engine } from "../../../src/engine/engine.js";
import { createMetrics } from "../../../src/metrics/metrics.js";
import { openRedisStore, type RedisStore } from "../../../src/store/redis/open-redis-store.js";
import { InThreadRunner } from "../../../src/workers/in-thread-runner.js";
import { WorkerPool } from "../../../src/workers/pool/worker-pool.js";
import { captureLog, INFO, WARN } from "../../support/log-lines.js";
import { EXTERNAL_REDIS_URL, RedisServer } from "../../support/redis-server.js";

let redis: RedisServer | undefined;
let store: RedisStore | undefined;
let engine: Engine | undefined;
let pool: WorkerPool | undefined;
afterEach(async () => {
  await engine?.stop();
  await store?.close();
  await redis?.dispose();
  await pool?.close();
  redis = store = engine = pool = undefined;
});

/** Asks until `ready()` gives `want` (a restarted Redis takes a moment to be reconnected to). */
async function until(engine: Engine, want: boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await engine.ready()) !== want) {
    if (Date.now() > deadline) throw new Error(`the store did not become ${want ? "reachable" : "unreachable"} within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// Skipped when REDIS_URL is set: this test kills its own redis-server.
describe.skipIf(EXTERNAL_REDIS_URL)("the store's reachability in the log", () => {
  it("says once that the store is unreachable, with the cause, and once that it is back, with how long it was away", async () => {
    redis = await RedisServer.start();
    store = await openRedisStore({ url: redis.url, keyPrefix: `test:${randomUUID()}:`, commandTimeoutMs: 500 });
    const log = captureLog();
    engine = createEngine({ store, runner: new InThreadRunner(), clock: new SystemClock(), metrics: createMetrics({ defaultMetrics: false }), log: log.logger });
    await engine.start();
    await until(engine, true);
    expect(log.named("store unreachable")).toEqual([]);

    await redis.stop();
    await until(engine, false);
    expect(await engine.ready()).toBe(false);
    expect(log.named("store unreachable")).toEqual([expect.objectContaining({ level: WARN, store: "redis", cause: expect.stringMatching(/Redis/) })]);

    await redis.restart();
    await until(engine, true);
    expect(await engine.ready()).toBe(true);
    expect(log.named("store unreachable")).toHaveLength(1);
    expect(log.named("store reachable again")).toEqual([expect.objectContaining({ level: INFO, store: "redis", downMs: expect.any(Number) })]);
  });
});

describe("a worker's death in the log", () => {
  it("says that a worker died (why, and how many partitions it held) and that it was replaced", async () => {
    const log = captureLog();
    pool = await WorkerPool.start({ workers: 2, standbyWorkers: 1, log: log.logger });
    await pool.deploy({ jobId: "counts", definition: { name: "counts", input: "clicks", steps: [{ op: "keyBy", key: "user" }, { op: "runningAggregate", aggs: { n: { fn: "count" } } }] }, partitions: 4, history: { since: async () => ({ snapshot: undefined, tasks: [] }) } });
    const [victim] = pool.liveWorkers();
    await pool.inject(victim!, { kind: "crash" });
    const replaced = await log.until("worker replaced");
    expect(log.named("worker died")).toEqual([expect.objectContaining({ level: WARN, worker: victim, reason: expect.any(String), partitionsLost: 2 })]);
    expect(replaced).toMatchObject({ level: INFO, worker: victim, partitionsRebuilt: 2, recoveryMs: expect.any(Number) });
    expect(pool.liveWorkers()).toContain(replaced.replacedBy);
    expect(pool.liveWorkers()).not.toContain(victim);
  });
});
