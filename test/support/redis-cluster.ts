/**
 * A Redis Cluster of the test's own: three masters (no replicas) on free loopback ports, each a
 * redis-server in its own temporary directory, joined by `redis-cli --cluster create`, ready once
 * every node says cluster_state:ok. `testRedisCluster()` picks what a test file runs against: the
 * cluster in REDIS_CLUSTER_NODES when it is set, otherwise one started here.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Cluster, Redis } from "ioredis";
import { RedisKeys } from "../../src/store/redis/redis-keys.js";
import { RedisServer, type RedisServerOptions } from "./redis-server.js";

const run = promisify(execFile);

/** How long the cluster may take to agree on its slots after `--cluster create`. */
const READY_TIMEOUT_MS = 30_000;

export class RedisCluster {
  private constructor(readonly servers: readonly RedisServer[]) {}

  /** Starts `masters` nodes (at least 3, what redis-cli asks for), joins them, and waits until the cluster is ok. */
  static async start(options: Omit<RedisServerOptions, "clusterNode" | "dir"> & { readonly masters?: number } = {}): Promise<RedisCluster> {
    const { masters = 3, ...serverOptions } = options;
    const started = await Promise.allSettled(Array.from({ length: masters }, () => RedisServer.start({ ...serverOptions, clusterNode: true })));
    const servers = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
    const cluster = new RedisCluster(servers);
    try {
      const failed = started.find((s): s is PromiseRejectedResult => s.status === "rejected");
      if (failed !== undefined) throw failed.reason;
      await run("redis-cli", ["--cluster", "create", ...cluster.seeds, "--cluster-replicas", "0", "--cluster-yes"], { timeout: READY_TIMEOUT_MS }).catch((error: Error & { stdout?: string; stderr?: string }) => {
        throw new Error(`redis-cli --cluster create failed: ${error.message}\n${error.stdout ?? ""}${error.stderr ?? ""}`);
      });
      await Promise.all(servers.map((server) => untilClusterOk(server.port)));
      return cluster;
    } catch (error) {
      await cluster.dispose();
      throw error;
    }
  }

  /** "127.0.0.1:<port>" of every node, what REDIS_CLUSTER_NODES takes. */
  get seeds(): string[] {
    return this.servers.map((server) => `127.0.0.1:${server.port}`);
  }

  /** Stops every node and removes their directories. */
  async dispose(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.dispose()));
  }
}

/** Resolves once the node on `port` says the cluster is ok (every slot served). */
async function untilClusterOk(port: number): Promise<void> {
  const client = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on("error", () => undefined);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let info = "";
  try {
    while (Date.now() < deadline) {
      info = await client.cluster("INFO").catch((error: Error) => error.message);
      if (/^cluster_state:ok\r?$/m.test(info)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`the Redis Cluster node on port ${port} did not reach cluster_state:ok within ${READY_TIMEOUT_MS} ms: ${info}`);
  } finally {
    client.disconnect();
  }
}

/** What a test file runs against: seeds of a cluster, and the cluster when the tests started it. */
export interface TestRedisCluster {
  readonly seeds: readonly string[];
  readonly cluster: RedisCluster | undefined;
  dispose(): Promise<void>;
}

/** Set when the tests must use the Redis Cluster at REDIS_CLUSTER_NODES instead of starting their own. */
export const EXTERNAL_REDIS_CLUSTER_NODES = process.env.REDIS_CLUSTER_NODES;

/** The cluster in REDIS_CLUSTER_NODES when set, otherwise a fresh local one of three masters. */
export async function testRedisCluster(options: Omit<RedisServerOptions, "clusterNode" | "dir"> = {}): Promise<TestRedisCluster> {
  if (EXTERNAL_REDIS_CLUSTER_NODES !== undefined && EXTERNAL_REDIS_CLUSTER_NODES !== "") {
    return { seeds: EXTERNAL_REDIS_CLUSTER_NODES.split(",").map((s) => s.trim()), cluster: undefined, dispose: async () => undefined };
  }
  const cluster = await RedisCluster.start(options);
  return { seeds: cluster.seeds, cluster, dispose: () => cluster.dispose() };
}

/** Deletes every key under `prefix` on every master of the cluster (keys of many slots: one at a time). */
export async function deleteClusterKeysUnder(seeds: readonly string[], prefix: string): Promise<void> {
  const admin = new Cluster(seeds.map((seed) => ({ host: seed.slice(0, seed.lastIndexOf(":")), port: Number(seed.slice(seed.lastIndexOf(":") + 1)) })));
  try {
    await new Promise<void>((resolve, reject) => {
      admin.once("ready", resolve);
      admin.once("error", reject);
    });
    for (const master of admin.nodes("master")) {
      let cursor = "0";
      do {
        const [next, keys] = await master.scan(cursor, "MATCH", new RedisKeys(prefix).pattern(), "COUNT", 1000);
        if (keys.length > 0) await Promise.all(keys.map((key) => master.unlink(key)));
        cursor = next;
      } while (cursor !== "0");
    }
  } finally {
    admin.disconnect();
  }
}
