/**
 * Cluster mode at its edges, with two real nodes on one real Redis: the same job registered through
 * both nodes at once is registered once; a node frozen (SIGSTOP) past its leases' time to live loses
 * its jobs to the other and, once thawed, writes nothing more of them (its writes are refused by their
 * fence) and steps down; a node stopped with SIGTERM hands its jobs over at once. Through all of it,
 * every acknowledged event is counted once in every job and every subscriber sees every seq once.
 */
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { tweets } from "../../examples/lib/corpus.mjs";
import { expectEveryEventOnce, ResumingSubscriber, sleep, wordTotalsJob as job, type ClusterView, type Row } from "../support/cluster-nodes.js";
import { testRedis, type TestRedis } from "../support/redis-server.js";
import { ServerProcess } from "../support/server-process.js";

const TTL_MS = 1500;

/** A POST that gives up after a few seconds (a frozen node never answers). */
async function post(node: ServerProcess, route: string, body: unknown, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`${node.url}${route}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body), signal: AbortSignal.timeout(3_000) });
  await res.text();
  return res.status;
}

let redis: TestRedis | undefined;
const nodes: ServerProcess[] = [];
afterAll(async () => {
  for (const node of nodes) {
    node.signal("SIGCONT");
    await node.dispose();
  }
  await redis?.dispose();
});

async function view(node: ServerProcess): Promise<ClusterView> {
  return node.requestOk<ClusterView>("GET", "/v1/cluster");
}

async function until(node: ServerProcess, ok: (v: ClusterView) => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const seen = await view(node).catch(() => undefined);
    if (seen && ok(seen)) return;
    if (Date.now() > deadline) throw new Error(`never got to: ${what}; last seen ${JSON.stringify(seen)}`);
    await sleep(100);
  }
}

describe("two nodes on one Redis", () => {
  it("registers a job once through both nodes at once, fences a frozen node, hands over on SIGTERM, and counts every event once", async () => {
    redis = await testRedis({ appendonly: true, appendfsync: "always" });
    const shared = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: `fencing-${randomUUID()}:`, WORKERS: "1", STANDBY_WORKERS: "0", CHECKPOINT_INTERVAL_MS: "1000", LEASE_TTL_MS: String(TTL_MS), LOG_LEVEL: "info" };
    const a = await ServerProcess.start({ ...shared, NODE_ID: "node-a" });
    const b = await ServerProcess.start({ ...shared, NODE_ID: "node-b" });
    nodes.push(a, b);
    expect(await post(a, "/v1/streams", { name: "tweets", partitions: 4 })).toBe(201);

    // The same job through both nodes at once: one 201, one 409, four times.
    const names = ["j1", "j2", "j3", "j4"];
    for (const name of names) {
      const statuses = await Promise.all([post(a, "/v1/jobs", job(name)), post(b, "/v1/jobs", job(name))]);
      expect(statuses.sort()).toEqual([201, 409]);
    }
    await until(a, (v) => v.nodes.length === 2 && v.jobs.every((j) => j.node !== null) && v.nodes.every((n) => n.jobs === 2), "two jobs on each node");
    const subscribers = [a, b].flatMap((node) => names.map((name) => new ResumingSubscriber(node, name)));

    const corpus = tweets(3000, 17) as Row[];
    const acknowledged: Row[] = [];
    let sent = 0;
    /** Sends the next `requests` requests of 20 events through `through`, each retried with its key. */
    const push = async (through: ServerProcess[], requests: number): Promise<void> => {
      for (let r = 0; r < requests; r++, sent++) {
        const events = corpus.slice(sent * 20, (sent + 1) * 20);
        const key = randomUUID();
        for (let attempt = 0; ; attempt++) {
          if (attempt > 300) throw new Error("a request was never acknowledged");
          const status = await post(through[attempt % through.length]!, "/v1/streams/tweets/events", events, { "idempotency-key": key }).catch(() => 0);
          if (status === 202) break;
          await sleep(50);
        }
        acknowledged.push(...events);
        await sleep(30);
      }
    };
    await push([a, b], 20);

    // Freeze A past its leases' time to live: B takes A's jobs; A, thawed, writes nothing more of them.
    const heldByA = (await view(b)).jobs.filter((j) => j.node === "node-a").map((j) => j.id);
    expect(heldByA).toHaveLength(2);
    const steppedDown = a.linesWith('"job left this node"');
    const jobEvents = a.linesWith('"msg":"job ');
    a.signal("SIGSTOP");
    const frozen = push([b], 40);
    await until(b, (v) => v.jobs.every((j) => j.node === "node-b"), "every job on node-b while node-a is frozen");
    await frozen;
    a.signal("SIGCONT");
    // A steps down from each job it held (its renewal or its first write is refused), then gets its share back.
    await until(b, (v) => v.nodes.length === 2 && v.nodes.every((n) => n.jobs === 2), "two jobs on each node again");
    // Its log says so for each (the lines may reach the pipe a little after the fact).
    const leftA = (id: string) => steppedDown.some((line) => line.includes(`"job":"${id}"`));
    for (let waited = 0; !heldByA.every(leftA) && waited < 60_000; waited += 100) await sleep(100);
    for (const id of heldByA) expect(leftA(id), `${id} left node-a; its job events: ${jobEvents.join("\n")}`).toBe(true);
    await push([a, b], 20);

    // SIGTERM B: it finishes its batches, checkpoints, hands its jobs over and exits 0; A takes them at once.
    const [stopped] = await Promise.all([b.stop("SIGTERM"), push([a], 30)]);
    expect(stopped.code).toBe(0);
    await until(a, (v) => v.jobs.every((j) => j.node === "node-a"), "every job on node-a after node-b stopped");
    await b.launch();
    await push([a, b], 20);

    expect(acknowledged).toHaveLength(130 * 20);
    await expectEveryEventOnce(subscribers, acknowledged);
  }, 600_000);
});
