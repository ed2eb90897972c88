/**
 * PUT /v1/jobs/:id in cluster mode, with real processes on one real Redis: the node asked does not
 * run the job, so it forwards the change to the node that does, which applies it under its own lease;
 * the running totals go on from where they were, every event counted once.
 */
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { clusterWhere, sleep, wordTotalsJob } from "../support/cluster-nodes.js";
import { testRedis, type TestRedis } from "../support/redis-server.js";
import { ServerProcess } from "../support/server-process.js";

let redis: TestRedis | undefined;
const nodes: ServerProcess[] = [];
afterAll(async () => {
  for (const node of nodes) await node.dispose();
  await redis?.dispose();
});

interface Frame {
  seq: number;
  rows: { key: string; count: number; loud?: boolean }[];
}

describe("PUT /v1/jobs/:id on a node that does not run the job", () => {
  it("is applied by the job's node, which keeps every key's state", async () => {
    redis = await testRedis();
    const shared = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: `upgrade-${randomUUID()}:`, WORKERS: "1", STANDBY_WORKERS: "0", LEASE_TTL_MS: "2000" };
    for (const id of ["node-a", "node-b"]) nodes.push(await ServerProcess.start({ ...shared, NODE_ID: id }));
    const [a, b] = nodes as [ServerProcess, ServerProcess];
    expect((await a.request("POST", "/v1/streams", { name: "tweets", partitions: 2 })).status).toBe(201);
    expect((await a.request("POST", "/v1/jobs", wordTotalsJob("totals"))).status).toBe(201);
    const view = await clusterWhere(a, (v) => v.jobs.some((j) => j.id === "totals" && j.node !== null), "the job held by a node");
    const owner = view.jobs.find((j) => j.id === "totals")!.node;
    const other = owner === "node-a" ? b : a;

    const totalOf = async (word: string): Promise<number | undefined> => {
      const { frames } = await other.requestOk<{ frames: Frame[] }>("GET", "/v1/jobs/totals/results?last=1");
      return frames.at(-1)?.rows.find((r) => r.key === word)?.count;
    };
    const until = async (ok: () => Promise<boolean>, what: string) => {
      const deadline = Date.now() + 60_000;
      while (!(await ok())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await sleep(100);
      }
    };
    expect((await other.request("POST", "/v1/streams/tweets/events", [{ text: "hello world" }, { text: "hello" }])).status).toBe(202);
    await until(async () => (await totalOf("hello")) === 2, "hello counted twice");

    const changed = wordTotalsJob("totals") as { steps: object[] };
    const upgraded = await other.request<{ state: string; definition: { steps: unknown[] } }>("PUT", "/v1/jobs/totals", { ...changed, steps: [...changed.steps, { op: "map", set: { loud: "count > 2" } }] });
    expect(upgraded.status, JSON.stringify(upgraded.body)).toBe(200);
    expect(upgraded.body.state).toBe("kept");
    expect(upgraded.body.definition.steps).toHaveLength(4);

    expect((await other.request("POST", "/v1/streams/tweets/events", [{ text: "hello again" }])).status).toBe(202);
    await until(async () => (await totalOf("hello")) === 3, "hello counted three times");
    const { frames } = await other.requestOk<{ frames: Frame[] }>("GET", "/v1/jobs/totals/results?last=1");
    expect(frames[0]!.rows.find((r) => r.key === "hello")).toEqual({ key: "hello", count: 3, loud: true });
    // Still run by the same node.
    const after = await clusterWhere(a, (v) => v.jobs.some((j) => j.id === "totals" && j.node !== null), "the job held by a node");
    expect(after.jobs.find((j) => j.id === "totals")!.node).toBe(owner);
  }, 180_000);
});
