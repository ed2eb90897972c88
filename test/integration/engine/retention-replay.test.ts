/**
 * Retention and replay, on every store (memory, embedded, redis): a stream's blocks leave its log only
 * when both its retention and every reader's checkpoint allow, and a job registered later with each
 * `startFrom` reads exactly the history its registration answer promised, catches up in bounded
 * batches, then runs live.
 *
 * The manual clock starts at the wall clock's time (the stores stamp blocks with the wall clock), and
 * a real pause between phases of ingest gives a time between them that a retention can cut at exactly.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../../src/engine/clock.js";
import { createEngine, type Engine, type JobRegistration } from "../../../src/engine/engine.js";
import { createMetrics } from "../../../src/metrics/metrics.js";
import { openEmbeddedStore } from "../../../src/store/embedded/open-embedded-store.js";
import { openMemoryStore } from "../../../src/store/memory/open-memory-store.js";
import { openRedisStore } from "../../../src/store/redis/open-redis-store.js";
import type { Store } from "../../../src/store/types.js";
import { InThreadRunner } from "../../../src/workers/in-thread-runner.js";
import { deleteKeysUnder, freshKeyPrefix } from "../../support/redis-prefix.js";
import { testRedis, type TestRedis } from "../../support/redis-server.js";

let redis: TestRedis | undefined;
beforeAll(async () => {
  redis = await testRedis();
});
afterAll(async () => {
  await redis?.dispose();
});

interface OpenedStore {
  readonly store: Store;
  /** Opens the same data again (the durable stores). */
  readonly reopen?: () => Promise<Store>;
  cleanup(): Promise<void>;
}

const STORES: Record<string, () => Promise<OpenedStore>> = {
  memory: async () => ({ store: openMemoryStore(), cleanup: async () => undefined }),
  embedded: async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "tributary-retention-"));
    const reopen = () => openEmbeddedStore({ dataDir });
    return { store: await reopen(), reopen, cleanup: () => rm(dataDir, { recursive: true, force: true }) };
  },
  redis: async () => {
    const keyPrefix = freshKeyPrefix();
    const reopen = () => openRedisStore({ url: redis!.url, keyPrefix });
    return { store: await reopen(), reopen, cleanup: () => deleteKeysUnder(redis!.url, keyPrefix) };
  },
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A time between what was ingested before it and what is ingested after it, by the wall clock; `gapMs`
 * after it, what follows is ingested (the manual clock may then move that far, and a retention cutting
 * at this time still keeps it).
 */
async function timeBetween(gapMs = 25): Promise<number> {
  await sleep(25);
  const mid = Date.now();
  await sleep(gapMs);
  return mid;
}

/** Counts every event and sums their `n`: which events a job read, not only how many. */
const totals = (name: string, startFrom: unknown) => ({ name, input: "tweets", startFrom, steps: [{ op: "keyBy", key: "k" }, { op: "runningAggregate", aggs: { events: { fn: "count" }, sum: { fn: "sum", of: "n" } } }] });

describe.each(Object.keys(STORES))("retention and replay on the %s store", (kind) => {
  let opened: OpenedStore;
  let engine: Engine;
  let clock: ManualClock;
  let nextN = 1;

  let store: Store;

  async function start(): Promise<void> {
    opened = await STORES[kind]!();
    store = opened.store;
    clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
    await startEngine();
  }

  async function startEngine(): Promise<void> {
    // Catch-up batches of one block per partition, so catching up takes several batches.
    engine = createEngine({ store, runner: new InThreadRunner(), clock, metrics: createMetrics({ defaultMetrics: false }), defaultPartitions: 2, checkpointIntervalMs: 1000, retentionCheckMs: 1000, retention: "forever", catchUpBatchBytes: 1 });
    await engine.start();
  }

  afterEach(async () => {
    await engine?.stop();
    await store?.close();
    await opened?.cleanup();
  });

  /** Stops the engine, closes the store, opens its data again and starts a new engine on it. */
  async function restart(): Promise<void> {
    await engine.stop();
    await store.close();
    store = await opened.reopen!();
    await startEngine();
  }

  /** Bytes of the block a one-event request `{k: "all", n: 0}` becomes. */
  async function blockBytes(): Promise<number> {
    await engine.declareStream({ name: "probe", partitions: 1 });
    await engine.ingest("probe", [{ k: "all", n: 0 }]);
    return (await store.streams.extent("probe", 0)).bytes;
  }

  /** Moves the clock to `to` (or by a second), waits for every job's batches, then trims to retention. */
  async function advanceTo(to = clock.now() + 1000): Promise<void> {
    while (clock.now() < to) {
      clock.advance(Math.min(1000, to - clock.now()));
      for (const job of await engine.listJobs()) await engine.whenIdle(job.id);
    }
    await engine.enforceRetention();
  }

  /** `requests` requests of `each` events; returns the events' `n` values. */
  async function ingest(stream: string, requests: number, each = 3): Promise<number[]> {
    const ns: number[] = [];
    for (let r = 0; r < requests; r++) {
      const events = Array.from({ length: each }, () => ({ k: "all", n: nextN++ }));
      await engine.ingest(stream, events);
      ns.push(...events.map((e) => e.n));
    }
    return ns;
  }

  async function jobTotals(id: string): Promise<{ events: number; sum: number }> {
    const { frames } = await engine.results(id, 1, 10_000);
    const row = frames.flatMap((f) => f.rows).at(-1) as { events: number; sum: number } | undefined;
    return { events: row?.events ?? 0, sum: row?.sum ?? 0 };
  }

  const startOffsets = async (stream: string, partitions: number) => Promise.all(Array.from({ length: partitions }, (_, p) => store.streams.startOffset(stream, p)));
  const sum = (ns: number[]) => ns.reduce((a, b) => a + b, 0);

  it("trims by time only what every reader has checkpointed past", async () => {
    await start();
    await engine.declareStream({ name: "tweets", partitions: 1, retention: { time: "1m" } });
    await engine.registerJob(totals("slow", "latest"));
    await engine.pauseJob("slow");
    await ingest("tweets", 5);
    // The clock moves 3 s past this point below, and the later blocks must stay inside the retention.
    const between = await timeBetween(3500);
    await ingest("tweets", 5);
    // The first five blocks are outside the retention now, but the paused job has not read them.
    await advanceTo(between + 60_000);
    expect(await startOffsets("tweets", 1)).toEqual([0]);
    const view = await engine.getStream("tweets");
    expect(view.retention).toEqual({ time: "1m" });
    expect(view.retained.partitions[0]).toMatchObject({ firstOffset: 0, lastOffset: 9, endOffset: 10, events: 30 });
    // Once it has read and checkpointed past all ten, only the five outside the retention go.
    await engine.resumeJob("slow");
    await advanceTo(clock.now() + 3000);
    expect((await jobTotals("slow")).events).toBe(30);
    expect(await startOffsets("tweets", 1)).toEqual([5]);
    expect((await engine.getStream("tweets")).retained).toMatchObject({ events: 15, partitions: [{ firstOffset: 5, lastOffset: 9, events: 15 }] });
  });

  it("trims by bytes to the newest blocks that fit, but never what a reader still needs", async () => {
    await start();
    const bytes = await blockBytes();
    expect(bytes).toBeGreaterThan(0);
    await engine.declareStream({ name: "sized", partitions: 1, retention: { bytes: `${Math.floor(3.5 * bytes)}B` } });
    for (let i = 0; i < 6; i++) await engine.ingest("sized", [{ k: "all", n: 0 }]);
    await advanceTo();
    // Nobody reads it: the newest three blocks that fit stay.
    expect(await startOffsets("sized", 1)).toEqual([3]);
    // A paused reader from the earliest retained block holds the rest back while its retention would let them go.
    const job = await engine.registerJob({ ...totals("reader", "earliest"), input: "sized" });
    expect(job.reads.partitions).toEqual([expect.objectContaining({ from: 3, to: 6, events: 3 })]);
    await engine.pauseJob("reader");
    for (let i = 0; i < 3; i++) await engine.ingest("sized", [{ k: "all", n: 0 }]);
    await advanceTo(clock.now() + 3000);
    expect(await startOffsets("sized", 1)).toEqual([3]);
    await engine.resumeJob("reader");
    await advanceTo(clock.now() + 12_000);
    expect((await jobTotals("reader")).events).toBe(6);
    expect(await startOffsets("sized", 1)).toEqual([6]);
  });

  it("keeps a stream's retention, and what it trimmed, across a restart", async (ctx) => {
    if (STORES[kind] === STORES.memory) ctx.skip("the memory store loses everything when it closes: a restart is shown on the embedded and Redis stores");
    await start();
    const bytes = await blockBytes();
    await engine.declareStream({ name: "sized", partitions: 1, retention: { bytes: `${Math.floor(3.5 * bytes)}B` } });
    for (let i = 0; i < 6; i++) await engine.ingest("sized", [{ k: "all", n: 0 }]);
    await engine.enforceRetention();
    expect(await startOffsets("sized", 1)).toEqual([3]);
    await restart();
    const view = await engine.getStream("sized");
    expect(view.retention).toEqual({ bytes: `${Math.floor(3.5 * bytes)}B` });
    expect(view.retained.partitions[0]).toMatchObject({ firstOffset: 3, lastOffset: 5, events: 3, bytes: 3 * bytes });
    for (let i = 0; i < 2; i++) await engine.ingest("sized", [{ k: "all", n: 0 }]);
    await engine.enforceRetention();
    expect(await startOffsets("sized", 1)).toEqual([5]);
  });

  it("catches up on what arrived while it was down in bounded batches after a restart", async (ctx) => {
    if (STORES[kind] === STORES.memory) ctx.skip("the memory store loses everything when it closes: a restart is shown on the embedded and Redis stores");
    await start();
    await engine.declareStream({ name: "tweets", partitions: 2 });
    await engine.registerJob(totals("counter", "latest"));
    // Stored, but no batch cut them before the restart.
    const waiting = await ingest("tweets", 5);
    await restart();
    await advanceTo();
    const catching = (await engine.getJob("counter")).progress!;
    expect(catching.catchingUp).toBe(true);
    // One block per partition a batch: what was stored meanwhile is read over several batches (the
    // batch that fell due during the downtime is cut at once, the next on time).
    expect(catching.catchUp!.eventsBehind).toBeGreaterThan(0);
    expect(catching.catchUp!.eventsBehind).toBeLessThan(waiting.length);
    for (const batch of await engine.batches("counter", -1, 1000)) for (const range of batch.ranges) expect(range.to - range.from).toBeLessThanOrEqual(1);
    await advanceTo(clock.now() + 6000);
    expect(await jobTotals("counter")).toEqual({ events: waiting.length, sum: sum(waiting) });
    expect((await engine.getJob("counter")).progress?.catchingUp).toBe(false);
  });

  it("replays exactly the promised history for each startFrom, then runs live", async () => {
    await start();
    await engine.declareStream({ name: "tweets", partitions: 2, retention: { time: "1m" } });
    await engine.registerJob(totals("counter", "latest"));
    const old = await ingest("tweets", 4);
    await advanceTo(clock.now() + 3000);
    const afterOld = await timeBetween();
    const middle = await ingest("tweets", 4, 5);
    await advanceTo(clock.now() + 2000);
    const afterMiddle = await timeBetween();
    const recent = await ingest("tweets", 3, 2);
    await advanceTo(clock.now() + 2000);
    // The old events leave the retention; the counter has checkpointed past them: they are trimmed.
    await advanceTo(afterOld + 60_000);
    expect(await jobTotals("counter")).toEqual({ events: old.length + middle.length + recent.length, sum: sum([...old, ...middle, ...recent]) });
    const trimmed = await startOffsets("tweets", 2);
    expect(trimmed.every((offset) => offset > 0)).toBe(true);
    const view = await engine.getStream("tweets");
    expect(view.retained.events).toBe(middle.length + recent.length);
    expect(view.retained.partitions.map((p) => p.firstOffset)).toEqual(trimmed);

    const register = (name: string, startFrom: unknown) => engine.registerJob(totals(name, startFrom)) as Promise<JobRegistration>;
    const promised: Record<string, { job: JobRegistration; events: number[] }> = {
      earliest: { job: await register("from-earliest", "earliest"), events: [...middle, ...recent] },
      time: { job: await register("from-time", { time: new Date(afterMiddle).toISOString() }), events: recent },
      "old time": { job: await register("from-old-time", { time: new Date(afterOld - 3_600_000).toISOString() }), events: [...middle, ...recent] },
      latest: { job: await register("from-latest", "latest"), events: [] },
    };
    for (const [startFrom, { job, events }] of Object.entries(promised)) {
      expect(job.reads.events, startFrom).toBe(events.length);
      expect(job.warnings.length, startFrom).toBe(startFrom === "old time" ? 1 : 0);
    }
    expect(promised["old time"]!.job.warnings[0]).toContain('older than what stream "tweets" retains');
    expect(promised.earliest!.job.reads.partitions.map((p) => p.from)).toEqual(trimmed);

    // One block per partition per catch-up batch: after one batch the earliest job is still behind.
    await advanceTo();
    const catching = (await engine.getJob("from-earliest")).progress!;
    expect(catching.catchingUp).toBe(true);
    expect(catching.catchUp?.eventsBehind).toBeGreaterThan(0);
    expect(catching.catchUp!.eventsBehind!).toBeLessThan(middle.length + recent.length);
    await advanceTo(clock.now() + 10_000);
    for (const [startFrom, { events }] of Object.entries(promised)) {
      const id = promised[startFrom]!.job.id;
      expect(await jobTotals(id), startFrom).toEqual({ events: events.length, sum: sum(events) });
      expect((await engine.getJob(id)).progress?.catchingUp, startFrom).toBe(false);
    }

    // Then live: every job counts what arrives now on top of its history.
    const live = await ingest("tweets", 2);
    await advanceTo(clock.now() + 2000);
    for (const [startFrom, { job, events }] of Object.entries(promised)) {
      expect(await jobTotals(job.id), startFrom).toEqual({ events: events.length + live.length, sum: sum([...events, ...live]) });
    }
  });
});
