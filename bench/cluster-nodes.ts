/**
 * A Tributary cluster for the bench: real server processes sharing one redis-server of the run's own
 * (appendonly, fsync always, as docs/cluster.md asks), what GET /v1/cluster says, and a steady ingest
 * that goes through whichever nodes are up.
 */
import { randomUUID } from "node:crypto";
import { RedisServer } from "../test/support/redis-server.js";
import { ServerProcess } from "../test/support/server-process.js";
import { ndjson, textSource } from "./corpus.js";
import { sleep } from "./stats.js";

export interface ClusterView {
  readonly nodes: { readonly id: string; readonly jobs: number }[];
  readonly jobs: { readonly id: string; readonly status: string; readonly node: string | null; readonly epoch: number | null }[];
}

export interface BenchNode {
  readonly id: string;
  readonly server: ServerProcess;
  /** False while the bench has it killed: ingest and queries go elsewhere. */
  up: boolean;
}

export class BenchCluster {
  private constructor(
    readonly redis: RedisServer,
    readonly nodes: BenchNode[],
  ) {}

  /** A fresh redis-server and `count` nodes on it (ids node-1, node-2, ...), each with `env`. */
  static async start(count: number, env: Record<string, string>): Promise<BenchCluster> {
    const redis = await RedisServer.start({ appendonly: true, appendfsync: "always" });
    const cluster = new BenchCluster(redis, []);
    try {
      const shared = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: `bench-cluster-${randomUUID()}:`, LOG_LEVEL: "warn", ...env };
      for (let i = 1; i <= count; i++) {
        const id = `node-${i}`;
        cluster.nodes.push({ id, server: await ServerProcess.start({ ...shared, NODE_ID: id }), up: true });
      }
      return cluster;
    } catch (error) {
      await cluster.dispose();
      throw error;
    }
  }

  up(): BenchNode[] {
    return this.nodes.filter((n) => n.up);
  }

  async view(): Promise<ClusterView> {
    return this.up()[0]!.server.requestOk<ClusterView>("GET", "/v1/cluster");
  }

  /** Waits until `ok` holds for the cluster as a live node sees it; that view, or undefined at the deadline. */
  async viewWhere(ok: (view: ClusterView) => boolean, timeoutMs: number, pollMs = 100): Promise<ClusterView | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const view = await this.view().catch(() => undefined);
      if (view && ok(view)) return view;
      if (Date.now() > deadline) return undefined;
      await sleep(pollMs);
    }
  }

  /**
   * All `jobs` registered, every running one held by a live node, each live node holding its even
   * share of them (off by at most one). A failed job is held by nobody and left out.
   */
  async balanced(jobs: number, timeoutMs: number): Promise<ClusterView | undefined> {
    const live = new Set(this.up().map((n) => n.id));
    return this.viewWhere((v) => {
      const running = v.jobs.filter((j) => j.status === "running");
      const share = Math.ceil(running.length / live.size);
      return v.jobs.length === jobs && running.every((j) => j.node !== null && live.has(j.node)) && v.nodes.filter((n) => live.has(n.id)).length === live.size && v.nodes.every((n) => !live.has(n.id) || n.jobs >= share - 1);
    }, timeoutMs);
  }

  async dispose(): Promise<void> {
    for (const node of this.nodes) await node.server.dispose().catch(() => undefined);
    await this.redis.dispose().catch(() => undefined);
  }
}

/** Bodies of `eventsPerBody` 100-byte text records, from the bench's vocabulary. */
export function smallBodies(count: number, eventsPerBody: number, vocabulary: readonly string[]): Buffer[] {
  const source = textSource({ batches: count, recordsPerBatch: eventsPerBody, vocabulary, seed: 13 });
  return Array.from({ length: count }, (_, i) => ndjson(source.batch(i + 1).events));
}

export interface SteadyIngest {
  /** Requests acknowledged, and those no live node took (each is retried on the next node first). */
  readonly acknowledged: number;
  readonly refused: number;
  stop(): Promise<void>;
}

/**
 * Posts one body every `everyMs` to the live nodes in turn; a request a node does not acknowledge
 * goes to the next live node (one try each), so a node killed in between costs no input.
 */
export function steadyIngest(cluster: BenchCluster, stream: string, bodies: readonly Buffer[], everyMs: number): SteadyIngest {
  let running = true;
  let acknowledged = 0;
  let refused = 0;
  const post = async (node: BenchNode, body: Buffer): Promise<boolean> => {
    try {
      const res = await fetch(`${node.server.url}/v1/streams/${stream}/events`, { method: "POST", headers: { "content-type": "application/x-ndjson" }, body: new Uint8Array(body), signal: AbortSignal.timeout(10_000) });
      await res.arrayBuffer();
      return res.status === 202;
    } catch {
      return false;
    }
  };
  const loop = (async () => {
    const started = Date.now();
    for (let i = 0; running; i++) {
      const due = started + i * everyMs;
      if (due > Date.now()) await sleep(due - Date.now());
      const live = cluster.up();
      let ok = false;
      for (let t = 0; t < live.length && !ok && running; t++) ok = await post(live[(i + t) % live.length]!, bodies[i % bodies.length]!);
      if (ok) acknowledged++;
      else refused++;
    }
  })();
  return {
    get acknowledged() {
      return acknowledged;
    },
    get refused() {
      return refused;
    },
    async stop() {
      running = false;
      await loop;
    },
  };
}
