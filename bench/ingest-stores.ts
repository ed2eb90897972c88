/**
 * Ingest throughput with Redis as the system of record, as a ratio to the embedded store's, measured
 * in the same run: the real server, once on each store, takes NDJSON bodies of 1,000 events from
 * concurrent keep-alive clients offered far more than it can take; the figure is what it acknowledged.
 * Redis is a redis-server of this run's own on a free loopback port, with appendonly (fsync every
 * second), as DESIGN.md expects in production.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pushAtRate } from "./http-load.js";
import { freePort, ServerProcess } from "../test/support/server-process.js";
import { sleep } from "./stats.js";

export interface IngestFigures {
  embeddedRecordsPerSec: number | null;
  redisRecordsPerSec: number | null;
  ratio: number | null;
  reason?: string;
}

async function acknowledgedRate(env: Record<string, string>, bodies: readonly Buffer[], durationMs: number): Promise<number> {
  const server = await ServerProcess.start(env);
  try {
    const outcome = await pushAtRate({ url: server.url, stream: "ingest", bodies, recordsPerBody: 1000, offeredRecordsPerSec: 5_000_000, durationMs, clients: 4 });
    return outcome.achievedRecordsPerSec;
  } finally {
    await server.dispose();
  }
}

export async function measureIngestStores(bodies: readonly Buffer[], durationMs: number): Promise<IngestFigures> {
  const embedded = await acknowledgedRate({}, bodies, durationMs);
  const port = await freePort();
  const dir = await mkdtemp(path.join(os.tmpdir(), "tributary-bench-redis-"));
  const redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--appendfsync", "everysec", "--dir", dir], { stdio: "ignore" });
  try {
    await sleep(300);
    const viaRedis = await acknowledgedRate({ REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_KEY_PREFIX: `bench-${Date.now()}:` }, bodies, durationMs);
    return { embeddedRecordsPerSec: Math.round(embedded), redisRecordsPerSec: Math.round(viaRedis), ratio: Math.round((viaRedis / embedded) * 1000) / 1000 };
  } finally {
    redis.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  }
}
