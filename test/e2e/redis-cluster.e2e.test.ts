/**
 * Cluster mode on a real Redis Cluster of three masters (started here): three Tributary nodes with
 * REDIS_CLUSTER_NODES share six jobs, take ingest through two of them with Idempotency-Keys, and serve
 * every job's live results on all three. One node is SIGKILLed under load and restarted once the
 * survivors hold its jobs. At the end every acknowledged event is counted exactly once in every job,
 * and every subscriber, on every node, saw every seq once with the same frames.
 */
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { tweets } from "../../examples/lib/corpus.mjs";
import { clusterView, clusterWhere, expectEveryEventOnce, ingestOnce, ResumingSubscriber, sleep, wordTotalsJob, type Row } from "../support/cluster-nodes.js";
import { testRedisCluster, type TestRedisCluster } from "../support/redis-cluster.js";
import { ServerProcess } from "../support/server-process.js";

const JOBS = 6;
const jobNames = Array.from({ length: JOBS }, (_, i) => `cluster-totals-${i + 1}`);

let redis: TestRedisCluster | undefined;
const nodes: ServerProcess[] = [];
afterAll(async () => {
  for (const node of nodes) await node.dispose();
  await redis?.dispose();
});

describe("three nodes on a Redis Cluster", () => {
  it("spreads the jobs, survives a node SIGKILLed under load, and counts every acknowledged event once in every job, seen alike on every node", async () => {
    redis = await testRedisCluster({ appendonly: true, appendfsync: "always" });
    const shared = { REDIS_CLUSTER_NODES: redis.seeds.join(","), REDIS_KEY_PREFIX: `cluster-${randomUUID()}:`, WORKERS: "1", STANDBY_WORKERS: "0", CHECKPOINT_INTERVAL_MS: "1000", LEASE_TTL_MS: "1500" };
    for (const id of ["node-a", "node-b", "node-c"]) nodes.push(await ServerProcess.start({ ...shared, NODE_ID: id }));
    const [a, b, c] = nodes as [ServerProcess, ServerProcess, ServerProcess];

    expect((await a.request("POST", "/v1/streams", { name: "tweets", partitions: 4 })).status).toBe(201);
    for (const name of jobNames) expect((await a.request("POST", "/v1/jobs", wordTotalsJob(name))).status).toBe(201);
    const spread = await clusterWhere(a, (v) => v.nodes.length === 3 && v.jobs.every((j) => j.node !== null) && v.nodes.every((n) => n.jobs === JOBS / 3), "two jobs on each of three nodes");
    expect(new Set(spread.jobs.map((j) => j.node))).toEqual(new Set(["node-a", "node-b", "node-c"]));

    const subscribers = nodes.flatMap((node) => jobNames.map((name) => new ResumingSubscriber(node, name)));

    // Ingest through B and C, 40 requests of 40 events, each retried with its key through the other
    // node while one is down.
    const corpus = tweets(1600, 29) as Row[];
    const acknowledged: Row[] = [];
    let retried = 0;
    const pushing = (async () => {
      for (let r = 0; r < 40; r++) {
        const events = corpus.slice(r * 40, (r + 1) * 40);
        retried += await ingestOnce([b, c], events, r);
        acknowledged.push(...events);
        await sleep(40);
      }
    })();

    // B dies under load; its jobs move to A and C; B comes back and takes its share again.
    await sleep(600);
    const victimId = (await clusterView(b)).node;
    const killedAt = Date.now();
    await b.kill();
    await clusterWhere(a, (v) => v.jobs.every((j) => j.node !== null && j.node !== victimId), `every job of ${victimId} claimed by a survivor`);
    const failover = Date.now() - killedAt;
    await b.launch();
    await pushing;

    console.log(`Redis Cluster failover (node SIGKILLed -> all its jobs held by survivors, LEASE_TTL_MS 1500): ${failover} ms; ${retried} ingest attempts went to a node that was down`);
    expect(acknowledged).toHaveLength(1600);
    expect(retried).toBeGreaterThan(0);
    await expectEveryEventOnce(subscribers, acknowledged);
  }, 240_000);
});
