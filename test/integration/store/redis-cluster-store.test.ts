/**
 * The Redis store on a real Redis Cluster of three masters, against the whole store contract (each
 * test store under a fresh key prefix, its keys deleted after): every script and multi-key command
 * touches one hash slot, or the cluster would refuse it (CROSSSLOT). Plus what a cluster adds: keys of
 * one job, and of one stream, on one slot while different jobs spread over the masters; settings
 * checked on every master. Runs against REDIS_CLUSTER_NODES when set.
 */
import { randomBytes } from "node:crypto";
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRedisStore, type RedisStore } from "../../../src/store/redis/open-redis-store.js";
import { StoreUnavailableError } from "../../../src/store/types.js";
import { deleteClusterKeysUnder, EXTERNAL_REDIS_CLUSTER_NODES, testRedisCluster, type TestRedisCluster } from "../../support/redis-cluster.js";
import { freePort } from "../../support/redis-server.js";
import { bytes, descriptor, frame, jobRecord, streamDefinition } from "./conformance/fixtures.js";
import { CONFORMANCE_RESULT_HISTORY, CONFORMANCE_RESULT_HISTORY_ROWS, CONFORMANCE_RESULT_RECENT_SEQS, describeStoreConformance } from "./store-conformance.js";

let cluster: TestRedisCluster;

beforeAll(async () => {
  cluster = await testRedisCluster({ appendonly: true, appendfsync: "always" });
}, 60_000);

afterAll(async () => {
  await cluster?.dispose();
});

function freshPrefix(): string {
  return `trib-test-${randomBytes(6).toString("hex")}:`;
}

describeStoreConformance("redis cluster", async (options) => {
  const keyPrefix = freshPrefix();
  const open = (): Promise<RedisStore> =>
    openRedisStore({ ...options, clusterNodes: cluster.seeds, keyPrefix, resultHistory: CONFORMANCE_RESULT_HISTORY, resultHistoryRows: CONFORMANCE_RESULT_HISTORY_ROWS, resultRecentSeqs: CONFORMANCE_RESULT_RECENT_SEQS });
  return { store: await open(), reopen: open, cleanup: () => deleteClusterKeysUnder(cluster.seeds, keyPrefix) };
});

describe("redis store on a cluster", () => {
  it("keeps each job's keys and each stream's keys on one slot, and spreads jobs over the masters", async () => {
    const keyPrefix = freshPrefix();
    const store = await openRedisStore({ clusterNodes: cluster.seeds, keyPrefix });
    const admin = new Cluster(cluster.seeds.map((seed) => ({ host: "127.0.0.1", port: Number(seed.split(":")[1]) })));
    try {
      const jobs = Array.from({ length: 12 }, (_, i) => `job-${i}`);
      for (const job of jobs) {
        await store.batches.record(descriptor(job, 1_000));
        await store.results.append(job, frame(1));
        await store.checkpoints.save(job, 1_000, 0, bytes("state"));
        await store.checkpoints.complete(job, 1_000, 1);
        await store.leases.acquire(job, "node-a", 5_000);
      }
      await store.streams.append("clicks", 3, { count: 1, payload: bytes("a"), requestId: "req-1" });
      await store.streams.append("clicks", 0, { count: 1, payload: bytes("b") });
      await store.catalog.putStream(streamDefinition("clicks"));
      await store.catalog.putJob(jobRecord("job-0"));
      await store.members.announce({ id: "node-a", address: "http://127.0.0.1:1", startedAt: 0, jobs: 0, busyMsPerSec: 0 }, 5_000);

      const keys: string[] = [];
      for (const master of admin.nodes("master")) keys.push(...(await master.keys(`${keyPrefix}*`)));
      const slotOf = new Map<string, number>();
      for (const key of keys) slotOf.set(key, Number(await admin.cluster("KEYSLOT", key)));
      const tagOf = (key: string) => /\{([^}]*)\}/.exec(key)![1]!;
      const slotsByTag = new Map<string, Set<number>>();
      for (const [key, slot] of slotOf) slotsByTag.set(tagOf(key), (slotsByTag.get(tagOf(key)) ?? new Set()).add(slot));
      expect(slotsByTag.get("stream:clicks")).toBeDefined();
      expect(slotsByTag.get("job:job-0")!.size).toBe(1);
      expect([...slotsByTag].filter(([, slots]) => slots.size !== 1)).toEqual([]);
      // Five keys per job, so each job's keys are many, yet one slot; twelve jobs land on more than one master.
      expect(keys.filter((key) => key.includes("{job:job-3}")).length).toBeGreaterThanOrEqual(5);
      const mastersOfJobs = new Set<string>();
      for (const job of jobs) {
        const slot = slotsByTag.get(`job:${job}`)!.values().next().value!;
        const owner = admin.nodes("master").find((m) => (admin.slots[slot] ?? [])[0] === `${m.options.host}:${m.options.port}`);
        mastersOfJobs.add(`${owner?.options.port}`);
      }
      expect(mastersOfJobs.size).toBeGreaterThan(1);

      // Multi-key steps across the slots all worked: what was written reads back.
      expect(await store.members.live()).toHaveLength(1);
      await store.streams.drop("clicks");
      expect(await store.streams.endOffset("clicks", 3)).toBe(0);
      for (const job of jobs) {
        expect(await store.checkpoints.listComplete(job)).toEqual([1_000]);
        await store.results.drop(job);
        await store.checkpoints.drop(job);
        await store.batches.drop(job);
        expect(await store.results.bounds(job)).toEqual(await store.results.bounds("never-written"));
      }
      await store.ping();
    } finally {
      await store.close();
      admin.disconnect();
      await deleteClusterKeysUnder(cluster.seeds, keyPrefix);
    }
  });

  it("checks the settings of every master, and gives no warning when each is safe", async (ctx) => {
    if (EXTERNAL_REDIS_CLUSTER_NODES) ctx.skip("REDIS_CLUSTER_NODES is set: the settings of a shared cluster are not this test's");
    const store = await openRedisStore({ clusterNodes: cluster.seeds, keyPrefix: freshPrefix() });
    const node = cluster.cluster!.servers[1]!;
    const admin = new Cluster([{ host: "127.0.0.1", port: node.port }]);
    try {
      expect(await store.warnings()).toEqual([]);
      await new Promise((resolve) => admin.once("ready", resolve));
      const master = admin.nodes("master").find((m) => m.options.port === node.port)!;
      await master.config("SET", "maxmemory-policy", "allkeys-lru");
      const warnings = await store.warnings();
      expect(warnings).toEqual([expect.stringMatching(new RegExp(`maxmemory-policy "allkeys-lru".* \\(Redis Cluster master 127\\.0\\.0\\.1:${node.port}\\)$`))]);
      await master.config("SET", "maxmemory-policy", "noeviction");
    } finally {
      await store.close();
      admin.disconnect();
    }
  });

  it("fails to open, with StoreUnavailableError naming the seeds, when no seed answers", async () => {
    const seed = `127.0.0.1:${await freePort()}`;
    await expect(openRedisStore({ clusterNodes: [seed], connectTimeoutMs: 500 })).rejects.toThrow(StoreUnavailableError);
    await expect(openRedisStore({ clusterNodes: [seed], connectTimeoutMs: 500 })).rejects.toThrow(`the Redis Cluster at ${seed}`);
  });

  it("refuses both a URL and cluster seeds", async () => {
    await expect(openRedisStore({ url: "redis://127.0.0.1:1", clusterNodes: cluster.seeds })).rejects.toThrow(RangeError);
  });
});

describe("redis store on a cluster when a master is killed", () => {
  it("rejects what that master serves with StoreUnavailableError within the command timeout, serves the other slots, and works again once it is back", async (ctx) => {
    if (EXTERNAL_REDIS_CLUSTER_NODES) ctx.skip("REDIS_CLUSTER_NODES is set: this test kills a master, which it must not do to a shared cluster");
    const store = await openRedisStore({ clusterNodes: cluster.seeds, keyPrefix: freshPrefix() });
    const admin = new Cluster(cluster.seeds.map((seed) => ({ host: "127.0.0.1", port: Number(seed.split(":")[1]) })));
    try {
      await new Promise((resolve) => admin.once("ready", resolve));
      const portOfJob = async (job: string): Promise<number> => {
        const slot = Number(await admin.cluster("KEYSLOT", `{job:${job}}`));
        return Number(admin.slots[slot]![0]!.split(":")[1]);
      };
      const victim = cluster.cluster!.servers[0]!;
      const jobs = Array.from({ length: 30 }, (_, i) => `job-${i}`);
      const onVictim: string[] = [];
      const elsewhere: string[] = [];
      for (const job of jobs) ((await portOfJob(job)) === victim.port ? onVictim : elsewhere).push(job);
      expect(onVictim.length).toBeGreaterThan(0);
      expect(elsewhere.length).toBeGreaterThan(0);
      for (const job of jobs) await store.results.append(job, frame(1));

      await victim.stop("SIGKILL");
      const started = performance.now();
      await expect(store.results.append(onVictim[0]!, frame(2))).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(performance.now() - started).toBeLessThan(4_000);
      await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
      // The other masters still take the writes of their slots.
      await store.results.append(elsewhere[0]!, frame(2));

      await victim.restart();
      await expect
        .poll(() => store.results.append(onVictim[0]!, frame(2)).then(() => true, () => false), { timeout: 30_000, interval: 200 })
        .toBe(true);
      expect(await store.results.bounds(onVictim[0]!)).toEqual({ first: 1, last: 2 });
      expect(await store.results.bounds(elsewhere[0]!)).toEqual({ first: 1, last: 2 });
      await store.ping();
    } finally {
      await store.close();
      admin.disconnect();
    }
  }, 60_000);
});
