/**
 * Cluster mode, with real processes on one real Redis: three nodes share the jobs (each job runs on
 * exactly one node, GET /v1/cluster says which), events go in through any node, and every node serves
 * every job's live results. Nodes are SIGKILLed under load at random moments and restarted: the
 * survivors claim the dead node's jobs, and at the end every acknowledged event is counted exactly
 * once in every job, and every subscriber, on every node, saw every seq once with the same frames.
 */
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { random, tweets } from "../../examples/lib/corpus.mjs";
import { clusterView as cluster, clusterWhere, expectEveryEventOnce, ingestOnce as ingest, ResumingSubscriber, sleep, wordTotalsJob, type Row } from "../support/cluster-nodes.js";
import { testRedis, type TestRedis } from "../support/redis-server.js";
import { ServerProcess } from "../support/server-process.js";

const JOBS = 6;
const jobNames = Array.from({ length: JOBS }, (_, i) => `totals-${i + 1}`);

let redis: TestRedis | undefined;
const nodes: ServerProcess[] = [];
afterAll(async () => {
  for (const node of nodes) await node.dispose();
  await redis?.dispose();
});

async function startCluster(): Promise<ServerProcess[]> {
  redis = await testRedis({ appendonly: true, appendfsync: "always" });
  const shared = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: `cluster-${randomUUID()}:`, WORKERS: "1", STANDBY_WORKERS: "0", CHECKPOINT_INTERVAL_MS: "1000", LEASE_TTL_MS: "1500" };
  for (const id of ["node-a", "node-b", "node-c"]) nodes.push(await ServerProcess.start({ ...shared, NODE_ID: id }));
  return nodes;
}

describe("three nodes on one Redis", () => {
  it("spreads the jobs, survives nodes SIGKILLed under load, and counts every acknowledged event once in every job, seen alike on every node", async () => {
    const [a, b, c] = await startCluster();
    expect((await a!.request("POST", "/v1/streams", { name: "tweets", partitions: 4 })).status).toBe(201);
    for (const name of jobNames) expect((await a!.request("POST", "/v1/jobs", wordTotalsJob(name))).status).toBe(201);
    // Every job is held by one live node, and each of the three nodes runs its share.
    const spread = await clusterWhere(a!, (v) => v.nodes.length === 3 && v.jobs.every((j) => j.node !== null) && v.nodes.every((n) => n.jobs === JOBS / 3), "two jobs on each of three nodes");
    expect(new Set(spread.jobs.map((j) => j.node))).toEqual(new Set(["node-a", "node-b", "node-c"]));

    // Any node answers what only the job's node knows: its progress and its state.
    for (const node of nodes) {
      for (const name of jobNames) {
        expect((await node.requestOk<{ progress: unknown }>("GET", `/v1/jobs/${name}`)).progress, `${name} through another node`).not.toBeNull();
        expect((await node.request("GET", `/v1/jobs/${name}/state?key=the`)).status, `${name} state`).toBe(200);
      }
    }

    const subscribers = nodes.flatMap((node) => jobNames.map((name) => new ResumingSubscriber(node, name)));

    // Ingest through B and C (A is one of the nodes killed): 60 requests of 40 events, each retried
    // with its key, through the other node when one is down.
    const corpus = tweets(2400, 13) as Row[];
    const acknowledged: Row[] = [];
    let retried = 0;
    const pushing = (async () => {
      for (let r = 0; r < 60; r++) {
        const events = corpus.slice(r * 40, (r + 1) * 40);
        retried += await ingest([b!, c!], events, r);
        acknowledged.push(...events);
        await sleep(40);
      }
    })();

    // The killer: SIGKILL a random node, wait until its jobs run on the survivors, restart it.
    const next = random(7);
    const failovers: number[] = [];
    for (const victim of [b!, a!, c!]) {
      await sleep(400 + Math.floor(next() * 600));
      const survivor = nodes.find((n) => n !== victim)!;
      const victimId = (await cluster(victim)).node;
      const killedAt = Date.now();
      await victim.kill();
      await clusterWhere(survivor, (v) => v.jobs.every((j) => j.node !== null && j.node !== victimId), `every job of ${victimId} claimed by a survivor`);
      failovers.push(Date.now() - killedAt);
      await victim.launch();
    }
    await pushing;

    console.log(`failover (node SIGKILLed -> all its jobs held by survivors, LEASE_TTL_MS 1500): ${failovers.join(", ")} ms; ${retried} ingest attempts went to a node that was down`);
    expect(acknowledged).toHaveLength(2400);
    // The kills really interrupted ingest: B and C were each down for a while.
    expect(retried).toBeGreaterThan(0);
    await expectEveryEventOnce(subscribers, acknowledged);
  }, 600_000);
});
