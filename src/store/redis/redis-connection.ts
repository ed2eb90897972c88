/**
 * The one ioredis client of a Redis store, to one server or to a Redis Cluster, set up so that no
 * operation can hang: a command that gets no reply within the command timeout fails, a command issued
 * while disconnected fails at once (no offline queue), and a command in flight when the connection
 * drops fails rather than being sent again later, after its caller was told it failed. Reconnection
 * runs by itself with capped backoff; a cluster client also follows the slot map as it changes.
 */
import { Cluster, Redis } from "ioredis";
import { StoreUnavailableError } from "../types.js";
import { parseClusterSeeds, redactSeed } from "./cluster-seeds.js";

/**
 * What the store talks to: one server or a cluster. Both take the same commands; every key one
 * command or script touches shares a hash tag, so a cluster runs each on one node.
 */
export type RedisClient = Redis | Cluster;

/** Options of {@link connectRedis}: exactly one of `url` and `clusterNodes`. */
export interface RedisConnectionOptions {
  readonly url?: string;
  /** Seed nodes of a Redis Cluster (see cluster-seeds.ts). */
  readonly clusterNodes?: readonly string[];
  /** A command without a reply after this many ms fails with StoreUnavailableError. */
  readonly commandTimeoutMs: number;
  /** How long the first connection may take before opening the store fails. */
  readonly connectTimeoutMs: number;
}

/** Longest pause between reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 1_000;

const reconnectDelay = (attempt: number): number => Math.min(50 * 2 ** Math.min(attempt, 10), MAX_RECONNECT_DELAY_MS);

/** A connected client; rejects with StoreUnavailableError when Redis cannot be reached in time. */
export async function connectRedis(options: RedisConnectionOptions): Promise<RedisClient> {
  if ((options.url === undefined) === (options.clusterNodes === undefined)) throw new RangeError("give the Redis store either url or clusterNodes, not both");
  const [client, where] = options.url !== undefined ? [standalone(options.url, options), `Redis at ${redactUrl(options.url)}`] : [cluster(options.clusterNodes!, options), `the Redis Cluster at ${options.clusterNodes!.map(redactSeed).join(", ")}`];
  let lastError: Error | undefined;
  // Without a listener ioredis prints every failed reconnection attempt; the store reports failures
  // through the operations that meet them instead.
  const remember = (error: Error): void => {
    lastError = error;
  };
  client.on("error", remember);
  if (client instanceof Cluster) client.on("node error", remember);
  try {
    await untilReady(client, options.connectTimeoutMs);
  } catch {
    client.disconnect();
    const reason = lastError === undefined ? "" : `: ${lastError.message}`;
    throw new StoreUnavailableError(`cannot connect to ${where} within ${options.connectTimeoutMs} ms${reason}`);
  }
  return client;
}

/** Settings of every connection to a server, alone or in a cluster. */
function serverOptions(options: RedisConnectionOptions) {
  return {
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: options.commandTimeoutMs,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    // RESP2: reply shapes that do not depend on the server's protocol support.
    protocol: 2,
    disableClientInfo: true,
    connectionName: "tributary",
  } as const;
}

function standalone(url: string, options: RedisConnectionOptions): Redis {
  return new Redis(url, { ...serverOptions(options), enableOfflineQueue: false, retryStrategy: reconnectDelay });
}

function cluster(seedText: readonly string[], options: RedisConnectionOptions): Cluster {
  const seeds = parseClusterSeeds(seedText);
  return new Cluster(
    seeds.nodes.map((node) => ({ ...node })),
    {
      enableOfflineQueue: false,
      clusterRetryStrategy: reconnectDelay,
      slotsRefreshTimeout: options.commandTimeoutMs,
      redisOptions: {
        ...serverOptions(options),
        ...(seeds.username === undefined ? {} : { username: seeds.username }),
        ...(seeds.password === undefined ? {} : { password: seeds.password }),
        ...(seeds.tls ? { tls: {} } : {}),
      },
    },
  );
}

/**
 * The servers a command about the server itself (PING, INFO, CONFIG, WAITAOF) must reach: the one
 * server, or every master of the cluster's slot map. Throws while a master of that map has no
 * connection (it died, and writes of its slots cannot be confirmed), and asks for the slot map again,
 * which reconnects to it once it is back.
 */
export function everyServer(client: RedisClient): Redis[] {
  if (!(client instanceof Cluster)) return [client];
  if (client.status !== "ready") throw new Error(`the Redis Cluster is not reachable (its client is ${client.status})`);
  const masters = client.nodes("master");
  const connected = new Set(masters.map(serverAddress));
  const missing = [...new Set(client.slots.map((nodes) => nodes?.[0]).filter((node): node is string => node !== undefined))].filter((node) => !connected.has(node));
  if (missing.length > 0 || masters.length === 0) {
    client.refreshSlotsCache();
    throw new Error(`the Redis Cluster master${missing.length === 1 ? "" : "s"} ${missing.join(", ") || "(none known)"} cannot be reached`);
  }
  return masters;
}

/** "host:port" of one server, for messages. */
export function serverAddress(server: Redis): string {
  return `${server.options.host ?? "localhost"}:${server.options.port ?? 6379}`;
}

function untilReady(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === "ready") return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off("ready", onReady);
      reject(new Error("timed out"));
    }, timeoutMs);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    client.once("ready", onReady);
  });
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparsable URL)";
  }
}
