/**
 * The only place that picks implementations, wires them together and listens. Graceful shutdown (SIGTERM,
 * SIGINT): stop taking requests, answer those in flight, close live subscribers with where to resume,
 * let each job finish its running batch and checkpoint, then close the runner and the store; all within
 * SHUTDOWN_TIMEOUT_MS, past which the server says what it was waiting on and exits 1.
 */
import { buildApp } from "./api/app.js";
import { createLogger } from "./api/log-fields.js";
import { KeyRing } from "./api/auth/key-ring.js";
import { LiveTokens } from "./api/auth/live-tokens.js";
import { defaultNodeId, defaultRetention, loadConfig, type Config } from "./config.js";
import { SystemClock } from "./engine/clock.js";
import { createEngine } from "./engine/engine.js";
import { createMetrics } from "./metrics/metrics.js";
import { openEmbeddedStore } from "./store/embedded/open-embedded-store.js";
import type { Store } from "./store/types.js";
import type { TaskRunner } from "./engine/task-runner.js";
import { InThreadRunner } from "./workers/in-thread-runner.js";
import { StartingRunner } from "./workers/starting-runner.js";
import { IngestThreads } from "./workers/ingest/ingest-threads.js";
import { WorkerPool } from "./workers/pool/worker-pool.js";

/**
 * Redis when REDIS_URL (one server) or REDIS_CLUSTER_NODES (a Redis Cluster) is set, with a warning for
 * each unsafe server setting; else files in DATA_DIR.
 */
async function openStore(config: Config, warn: (message: string) => void): Promise<Store> {
  const common = { resultHistory: config.RESULT_HISTORY, resultHistoryRows: config.RESULT_HISTORY_ROWS, resultHistoryAgeMs: config.RESULT_HISTORY_AGE_MS, idempotencyRetentionMs: config.IDEMPOTENCY_RETENTION_MS };
  const target = config.REDIS_URL ? { url: config.REDIS_URL } : config.REDIS_CLUSTER_NODES ? { clusterNodes: config.REDIS_CLUSTER_NODES } : undefined;
  if (target === undefined) return openEmbeddedStore({ dataDir: config.DATA_DIR, sync: config.FSYNC === "true", ...common });
  // Loaded only when used: the Redis client's modules take a noticeable part of a start on one machine.
  const { openRedisStore } = await import("./store/redis/open-redis-store.js");
  const store = await openRedisStore({ ...target, keyPrefix: config.REDIS_KEY_PREFIX, commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS, waitFsync: config.REDIS_WAIT_FSYNC, ...common });
  for (const warning of await store.warnings()) warn(warning);
  return store;
}

/**
 * The worker pool keeps every core busy, so V8's garbage-collector helper threads (parallel scavenge,
 * concurrent marking) only take CPU from the worker threads; `npm start` and the Docker image run node
 * with --single-threaded-gc, so that each isolate collects on its own thread (README, "Garbage collection").
 */
function gcMode(): string {
  return process.execArgv.includes("--single-threaded-gc") ? "single-threaded" : "V8 default (helper threads; start node with --single-threaded-gc)";
}

async function main(): Promise<void> {
  const config = loadConfig();
  const metrics = createMetrics();
  // One logger for the API, the engine (job events, store reachability) and the worker pool.
  const logger = createLogger({ level: config.LOG_LEVEL });
  // The worker threads boot (each loads its modules) while the store loads and the HTTP server starts:
  // the engine's calls to the runner wait for them, so nothing but the jobs' rebuild waits on the pool.
  const pool: Promise<TaskRunner> = config.WORKERS === 0 ? Promise.resolve(new InThreadRunner()) : WorkerPool.start({ workers: config.WORKERS, metrics, speculationMultiplier: config.SPECULATION_MULTIPLIER, standbyWorkers: config.STANDBY_WORKERS, log: logger });
  pool.catch((error: unknown) => {
    console.error(`Tributary could not start its worker threads: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
  const store = await openStore(config, (message) => logger.warn(message));
  const runner = new StartingRunner(pool);
  const ingestEncoder = new IngestThreads({ threads: config.INGEST_THREADS });
  let address = config.NODE_ADDRESS ?? "";
  const engine = createEngine({
    node: { id: config.NODE_ID ?? defaultNodeId(config.PORT), address: () => address, leaseTtlMs: config.LEASE_TTL_MS },
    store,
    runner,
    ingestEncoder,
    clock: new SystemClock(),
    metrics,
    defaultPartitions: config.DEFAULT_PARTITIONS,
    checkpointIntervalMs: config.CHECKPOINT_INTERVAL_MS,
    retention: defaultRetention(config),
    retentionCheckMs: config.RETENTION_CHECK_MS,
    catchUpBatchBytes: config.CATCH_UP_BATCH_BYTES,
    staggerCheckpoints: true,
    log: logger,
  });
  const keyRing = new KeyRing(config.API_KEYS, config.API_KEYS_FILE);
  const app = await buildApp({
    engine,
    metrics,
    access: { keys: keyRing.keys, liveTokens: new LiveTokens(), metricsRequireKey: config.METRICS_REQUIRE_KEY === "true" },
    bodyLimit: config.BODY_LIMIT_BYTES,
    maxClientMessageBytes: config.MAX_CLIENT_MESSAGE_BYTES,
    live: { maxSubscriberBufferBytes: config.MAX_SUBSCRIBER_BUFFER_BYTES, heartbeatMs: config.HEARTBEAT_MS, pingMs: config.WS_PING_MS },
    logger,
    shedding: {
      maxEventLoopDelayMs: config.SHED_EVENT_LOOP_DELAY_MS,
      maxHeapUsedBytes: config.SHED_HEAP_USED_BYTES,
      maxRssBytes: config.SHED_RSS_BYTES,
      maxJobDelayMs: config.SHED_JOB_DELAY_MS,
    },
  });
  const stopWatchingKeys = keyRing.watch(app.log);
  if (!keyRing.keys().enabled) app.log.warn("no API keys are configured (API_KEYS, API_KEYS_FILE): every client may do everything; configure keys before exposing Tributary to a network");
  // Listens first: /healthz, ingest and every request that does not need a job's state are served at
  // once, while the jobs this node claims are rebuilt in the background (GET /readyz tells how many
  // are still recovering; a query about one of them says it is replaying).
  const listening = await app.listen({ port: config.PORT, host: config.HOST });
  if (address === "") address = listening.replace("0.0.0.0", "127.0.0.1");
  app.log.info({ store: store.kind, ...(store.kind === "embedded" ? { dataDir: config.DATA_DIR } : {}), workers: config.WORKERS, gc: gcMode() }, "Tributary is listening");
  const starting = engine.start().catch((error: unknown) => app.log.error({ err: error }, "jobs could not be brought back; they are claimed again in the next cluster round"));

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const timeoutMs = config.SHUTDOWN_TIMEOUT_MS;
    app.log.info({ signal, timeoutMs }, "shutting down");
    let step = "";
    const steps: [string, () => Promise<void>][] = [
      ["closing the HTTP server (answering requests in flight, closing live subscribers)", () => app.close()],
      ["finishing running batches and checkpointing every job", async () => {
        await engine.stop();
        await starting;
      }],
      ["closing the task runner and the ingest threads", async () => void (await Promise.all([runner.close(), ingestEncoder.close()]))],
      ["closing the store", () => store.close()],
    ];
    setTimeout(() => {
      app.log.error({ signal, timeoutMs, step }, "shutdown did not finish within SHUTDOWN_TIMEOUT_MS; exiting");
      process.exit(1);
    }, timeoutMs);
    stopWatchingKeys();
    try {
      for (const [name, run] of steps) {
        step = name;
        await run();
      }
    } catch (error) {
      app.log.error({ signal, step, err: error }, "shutdown failed");
      process.exit(1);
    }
    app.log.info({ signal }, "shut down cleanly");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((error: unknown) => {
  console.error(`Tributary could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
