/**
 * The Redis store: Redis as the system of record for logs, descriptors, checkpoints and results (key
 * layout in redis-keys.ts, multi-key steps in scripts/). Every operation either completes or rejects
 * with StoreUnavailableError within about the command timeout, also while Redis is down or stalled;
 * the connection comes back by itself when Redis does, without reopening the store.
 */
import { assertRetention, DEFAULT_IDEMPOTENCY_RETENTION_MS, resultHistoryBounds } from "../contract.js";
import type { Store } from "../types.js";
import { AofFsync, fsyncPolicy, readAofSettings, type WaitFsync } from "./aof-fsync.js";
import { RedisBatchLog } from "./batch-log.js";
import { RedisCatalog } from "./catalog.js";
import { RedisCheckpointStore } from "./checkpoint-store.js";
import { RedisLeases, RedisMembership } from "./leases.js";
import { connectRedis, everyServer } from "./redis-connection.js";
import { RedisContext } from "./redis-context.js";
import { DEFAULT_KEY_PREFIX, RedisKeys } from "./redis-keys.js";
import { RedisResultLog } from "./result-log.js";
import { RedisScripts } from "./scripts/redis-scripts.js";
import { serverWarnings } from "./server-warnings.js";
import { RedisStreamLog } from "./stream-log.js";

/** Options of {@link openRedisStore}. */
export interface RedisStoreOptions {
  /** Where Redis listens, e.g. `redis://localhost:6379` (`rediss://` for TLS; user and password allowed). */
  readonly url?: string;
  /**
   * Instead of `url`: seed nodes of a Redis Cluster, each `host:port` or `redis[s]://[user:password@]host:port`
   * (the same credentials and scheme on every seed). Every script and multi-key command of the store
   * touches one hash slot, so the cluster needs nothing else.
   */
  readonly clusterNodes?: readonly string[];
  /** Put before every key, so several deployments (or test runs) can share one Redis (default "trib:"). */
  readonly keyPrefix?: string;
  /** Result frames kept per job (default 10 000). */
  readonly resultHistory?: number;
  /** Rows kept per job over its result frames (default 1 000 000; the newest frame is always kept). */
  readonly resultHistoryRows?: number;
  /** Result frames kept per job no longer than this many ms of batch time before its newest frame (default: no age bound). */
  readonly resultHistoryAgeMs?: number;
  /** Frames without rows are kept while among this many newest seqs (default 1 000); they take no room in the history. */
  readonly resultRecentSeqs?: number;
  /** How long a block's requestId dedupes a repeated append, in ms (default 24 h). */
  readonly idempotencyRetentionMs?: number;
  /** A command without a reply after this many ms fails with StoreUnavailableError (default 2 000). */
  readonly commandTimeoutMs?: number;
  /** How long opening the store waits for the first connection (default 10 000 ms). */
  readonly connectTimeoutMs?: number;
  /**
   * When an ingest's blocks and a result frame wait for the append-only file's fsync (WAITAOF, Redis
   * 7.2+) before they are acknowledged: "auto" (default) when appendfsync is not "always" and Redis
   * has WAITAOF; "always" (a write Redis cannot confirm fails as unavailable); "never".
   */
  readonly waitFsync?: WaitFsync;
}

/** A Redis store, plus what only Redis has: settings worth warning about. */
export interface RedisStore extends Store {
  readonly kind: "redis";
  /**
   * Problems with the server's settings for a system of record (appendonly, appendfsync unless writes
   * wait for fsync, maxmemory-policy), one
   * message each; [] when all is well. Log them at start-up. Rejects with StoreUnavailableError only
   * when Redis cannot be reached.
   */
  warnings(): Promise<string[]>;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 2_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Connects to Redis (one server at `url`, or the cluster of `clusterNodes`) and returns the store.
 * Rejects with StoreUnavailableError when Redis cannot be reached within `connectTimeoutMs`.
 */
export async function openRedisStore(options: RedisStoreOptions): Promise<RedisStore> {
  const keys = new RedisKeys(options.keyPrefix ?? DEFAULT_KEY_PREFIX);
  const history = resultHistoryBounds(options);
  const retention = options.idempotencyRetentionMs ?? DEFAULT_IDEMPOTENCY_RETENTION_MS;
  assertRetention(retention);
  const commandTimeoutMs = positive("commandTimeoutMs", options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS);
  const connectTimeoutMs = positive("connectTimeoutMs", options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);

  if ((options.url === undefined) === (options.clusterNodes === undefined)) throw new RangeError("give the Redis store either url (one server) or clusterNodes (a Redis Cluster), not both");
  const target = options.url !== undefined ? { url: options.url } : { clusterNodes: options.clusterNodes! };
  const redis = await connectRedis({ ...target, commandTimeoutMs, connectTimeoutMs });
  const settings = await readAofSettings(redis).catch((error: unknown) => {
    redis.disconnect();
    throw error;
  });
  const fsync = fsyncPolicy(options.waitFsync ?? "auto", settings);
  const context = new RedisContext(redis, keys, new RedisScripts(redis), fsync.waits ? new AofFsync(redis, commandTimeoutMs, settings.version) : undefined);
  let closing: Promise<void> | undefined;

  return {
    kind: "redis",
    streams: new RedisStreamLog(context, retention),
    batches: new RedisBatchLog(context),
    results: new RedisResultLog(context, history),
    catalog: new RedisCatalog(context),
    checkpoints: new RedisCheckpointStore(context),
    leases: new RedisLeases(context),
    members: new RedisMembership(context),

    async ping() {
      // Of a cluster, every master: the store is reachable only when each of its slots is.
      await context.call("answer a ping", (client) => Promise.all(everyServer(client).map((server) => server.ping())));
    },

    async warnings() {
      const warnings = await context.call("report its settings", serverWarnings);
      return fsync.warning === undefined ? warnings : [...warnings, fsync.warning];
    },

    close() {
      context.close();
      closing ??= (async () => {
        try {
          // QUIT goes out behind the commands already sent, so their replies still arrive.
          await redis.quit();
        } catch {
          // Redis is unreachable: nothing to say goodbye to.
        } finally {
          redis.disconnect(); // and stop reconnecting
        }
      })();
      return closing;
    },
  };
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
