/** Environment -> typed configuration. Every default runs on one machine with nothing but Node. */
import { availableParallelism, hostname, totalmem } from "node:os";
import { getHeapStatistics } from "node:v8";
import { z } from "zod";
import { parseClusterSeeds, splitClusterSeeds } from "./store/redis/cluster-seeds.js";
import { DEFAULT_CATCH_UP_BATCH_BYTES } from "./engine/scheduler/catch-up.js";
import { DEFAULT_RETENTION_BYTES, DEFAULT_RETENTION_TIME, parseBytes, parseRetentionTime, type RetentionSpec } from "./engine/stream-retention.js";

/**
 * Memory past which ingest is shed by default, so that what is accepted can never run the process out
 * of memory: 80 % of the memory it may use (its cgroup's limit in a container, else the machine's),
 * and 85 % of the JavaScript heap's limit.
 */
export function defaultMemoryBounds(): { rssBytes: number; heapUsedBytes: number } {
  const constrained = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  const memory = constrained !== undefined && constrained > 0 && constrained < totalmem() ? constrained : totalmem();
  return { rssBytes: Math.floor(memory * 0.8), heapUsedBytes: Math.floor(getHeapStatistics().heap_size_limit * 0.85) };
}

const bytes = z.coerce.number().int().positive();

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default("127.0.0.1"),
  DATA_DIR: z.string().default("./data"),
  REDIS_URL: z.string().url().optional(),
  /** Seed nodes of a Redis Cluster, "host:port,host:port" (or redis[s]://user:password@host:port each); instead of REDIS_URL. */
  REDIS_CLUSTER_NODES: z
    .string()
    .transform(splitClusterSeeds)
    .superRefine((seeds, ctx) => {
      try {
        parseClusterSeeds(seeds);
      } catch (error) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: (error as Error).message });
      }
    })
    .optional(),
  REDIS_KEY_PREFIX: z.string().default("trib:"),
  REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(1).default(2000),
  /** When ingest and result frames wait for Redis to fsync its append-only file (WAITAOF, Redis 7.2+). */
  REDIS_WAIT_FSYNC: z.enum(["auto", "always", "never"]).default("auto"),
  /** How long an Idempotency-Key is remembered. */
  IDEMPOTENCY_RETENTION_MS: z.coerce.number().int().min(1000).default(24 * 3_600_000),
  /** Embedded store: fsync every append before acknowledging it (survives power loss, slower). */
  FSYNC: z.enum(["true", "false"]).default("false"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  BODY_LIMIT_BYTES: bytes.default(10 * 1024 * 1024),
  MAX_CLIENT_MESSAGE_BYTES: bytes.default(4096),
  MAX_SUBSCRIBER_BUFFER_BYTES: bytes.default(8 * 1024 * 1024),
  HEARTBEAT_MS: z.coerce.number().int().min(100).default(15_000),
  /** Every live WebSocket is pinged this often (ms); one whose pong is missing at the next ping is dropped. */
  WS_PING_MS: z.coerce.number().int().min(50).default(30_000),
  /** How long SIGTERM/SIGINT may take (ms) before the server gives up, logs what it waited on and exits 1. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  DEFAULT_PARTITIONS: z.coerce.number().int().min(1).max(256).default(4),
  /** How long a stream declared without a retention keeps its blocks once no job needs them ("7d", "24h"; "forever": no time bound). */
  STREAM_RETENTION_TIME: z
    .string()
    .refine((text) => text === "forever" || parseRetentionTime(text) !== undefined, 'write a duration such as "24h" or "7d", or "forever"')
    .default(DEFAULT_RETENTION_TIME),
  /** How many bytes (over all its partitions) such a stream keeps once no job needs them ("256MiB", "1GiB"; "forever": no byte bound). */
  STREAM_RETENTION_BYTES: z
    .string()
    .refine((text) => text === "forever" || parseBytes(text) !== undefined, 'write a size such as "256MiB" or "1GiB", or "forever"')
    .default(DEFAULT_RETENTION_BYTES),
  /** How often (ms) every stream is trimmed to its retention (a reader's checkpoint also trims its inputs). */
  RETENTION_CHECK_MS: z.coerce.number().int().min(10).default(30_000),
  /** Bytes per input partition in one batch of a job catching up on history (startFrom "earliest" or a time). */
  CATCH_UP_BATCH_BYTES: bytes.default(DEFAULT_CATCH_UP_BATCH_BYTES),
  RESULT_HISTORY: z.coerce.number().int().min(1).default(10_000),
  /** Rows kept per job over its retained result frames (the newest frame is always kept). */
  RESULT_HISTORY_ROWS: z.coerce.number().int().min(1).default(1_000_000),
  /** Result frames are kept no longer than this (ms of batch time before the job's newest frame); unset: no age bound. */
  RESULT_HISTORY_AGE_MS: z.coerce.number().int().min(1).optional(),
  /** Worker threads that run batch tasks; 0 runs them on the main thread. Default: one per core. */
  WORKERS: z.coerce.number().int().min(0).max(256).default(availableParallelism()),
  /** Threads that parse, check and encode ingest bodies (NDJSON); 0 does it on the main thread. Default: one per core. */
  INGEST_THREADS: z.coerce.number().int().min(0).max(64).default(availableParallelism()),
  CHECKPOINT_INTERVAL_MS: z.coerce.number().int().min(0).default(10_000),
  SPECULATION_MULTIPLIER: z.coerce.number().min(0).default(1.4),
  /** Worker threads kept booted as a standby that takes a dead worker's place at once (0 or 1). */
  STANDBY_WORKERS: z.coerce.number().int().min(0).max(1).default(1),
  /** API keys, "tenant:role:key,..." (role: reader, writer or admin). Without keys (here or in the file) the server is open. */
  API_KEYS: z.string().optional(),
  /** A file of API keys, one "tenant role key" (or "tenant role sha256:<hex>") a line; reloaded on change and on SIGHUP. */
  API_KEYS_FILE: z.string().optional(),
  /** Quotas per tenant, in force when API keys are configured. */
  QUOTA_STREAMS: z.coerce.number().int().min(0).default(100),
  QUOTA_JOBS: z.coerce.number().int().min(0).default(50),
  QUOTA_SUBSCRIPTIONS: z.coerce.number().int().min(0).default(1000),
  QUOTA_EVENTS_PER_SECOND: z.coerce.number().int().min(1).default(100_000),
  QUOTA_BYTES_PER_SECOND: z.coerce.number().int().min(1).default(64 * 1024 * 1024),
  QUOTA_REQUESTS_PER_SECOND: z.coerce.number().int().min(1).default(1000),
  /** Whether GET /metrics needs a key too. */
  METRICS_REQUIRE_KEY: z.enum(["true", "false"]).default("false"),
  /** Ingest is shed (503 OVERLOADED) while the event loop lags more than this (ms; 0: never). */
  SHED_EVENT_LOOP_DELAY_MS: z.coerce.number().int().min(0).default(1000),
  /** ... while the heap in use is past this many bytes (0: never; default: see defaultMemoryBounds). */
  SHED_HEAP_USED_BYTES: z.coerce.number().int().min(0).default(() => defaultMemoryBounds().heapUsedBytes),
  /** ... while resident memory is past this many bytes (0: never; default: see defaultMemoryBounds). */
  SHED_RSS_BYTES: z.coerce.number().int().min(0).default(() => defaultMemoryBounds().rssBytes),
  /** Ingest into a stream is shed while a job reading it is further behind than this (ms; 0: never). */
  SHED_JOB_DELAY_MS: z.coerce.number().int().min(0).default(10_000),
  /**
   * This node's name among the nodes sharing one Redis (1-64 of [a-zA-Z0-9_.-]); default: host name
   * and port. Keep it the same across restarts: a restarted node takes its own jobs back at once.
   */
  NODE_ID: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/, "use 1-64 of [a-zA-Z0-9_.-], starting with a letter or digit").optional(),
  /** Where the other nodes reach this node's HTTP API (default: http://HOST:PORT as it listens). */
  NODE_ADDRESS: z.string().url().optional(),
  /** A job's lease lapses this long (ms) after its node last renewed it; then a surviving node takes the job. */
  LEASE_TTL_MS: z.coerce.number().int().min(300).max(600_000).default(2_000),
});

/** The node id when NODE_ID is not set: host name and port, cut to what a node id may hold. */
export function defaultNodeId(port: number): string {
  const host = hostname().replace(/[^a-zA-Z0-9_.-]/g, "-").replace(/^[^a-zA-Z0-9]+/, "") || "node";
  return `${host.slice(0, 56)}-${port}`;
}

export type Config = z.infer<typeof schema>;

/** The retention of streams declared without one, from STREAM_RETENTION_TIME and STREAM_RETENTION_BYTES. */
export function defaultRetention(config: Pick<Config, "STREAM_RETENTION_TIME" | "STREAM_RETENTION_BYTES">): RetentionSpec {
  const { STREAM_RETENTION_TIME: time, STREAM_RETENTION_BYTES: bytes } = config;
  if (time === "forever" && bytes === "forever") return "forever";
  return { ...(time === "forever" ? {} : { time }), ...(bytes === "forever" ? {} : { bytes }) };
}

/** Every environment variable Tributary reads (the README's "Operate" table lists each). */
export const CONFIG_VARIABLES = Object.keys(schema.shape) as (keyof Config)[];

/** Reads the configuration; a bad value stops start-up with a message naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== "")));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`invalid configuration: ${problems}`);
  }
  if (parsed.data.REDIS_URL !== undefined && parsed.data.REDIS_CLUSTER_NODES !== undefined) {
    throw new Error("invalid configuration: REDIS_URL and REDIS_CLUSTER_NODES are both set: set REDIS_URL for one Redis server, or REDIS_CLUSTER_NODES for a Redis Cluster, not both");
  }
  return parsed.data;
}
