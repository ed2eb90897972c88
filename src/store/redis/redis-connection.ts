/**
 * The one ioredis connection of a Redis store, set up so that no operation can hang: a command that
 * gets no reply within the command timeout fails, a command issued while disconnected fails at once
 * (no offline queue), and a command in flight when the connection drops fails rather than being sent
 * again later, after its caller was told it failed. Reconnection runs by itself with capped backoff.
 */
import { Redis } from "ioredis";
import { StoreUnavailableError } from "../types.js";

/** Options of {@link connectRedis}. */
export interface RedisConnectionOptions {
  readonly url: string;
  /** A command without a reply after this many ms fails with StoreUnavailableError. */
  readonly commandTimeoutMs: number;
  /** How long the first connection may take before opening the store fails. */
  readonly connectTimeoutMs: number;
}

/** Longest pause between reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 1_000;

/** A connected client; rejects with StoreUnavailableError when Redis cannot be reached in time. */
export async function connectRedis(options: RedisConnectionOptions): Promise<Redis> {
  const redis = new Redis(options.url, {
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: options.commandTimeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), MAX_RECONNECT_DELAY_MS),
    // RESP2: reply shapes that do not depend on the server's protocol support.
    protocol: 2,
    disableClientInfo: true,
    connectionName: "tributary",
  });
  let lastError: Error | undefined;
  // Without a listener ioredis prints every failed reconnection attempt; the store reports failures
  // through the operations that meet them instead.
  redis.on("error", (error: Error) => {
    lastError = error;
  });
  try {
    await untilReady(redis, options.connectTimeoutMs);
  } catch {
    redis.disconnect();
    const reason = lastError === undefined ? "" : `: ${lastError.message}`;
    throw new StoreUnavailableError(`cannot connect to Redis at ${redactUrl(options.url)} within ${options.connectTimeoutMs} ms${reason}`);
  }
  return redis;
}

function untilReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off("ready", onReady);
      reject(new Error("timed out"));
    }, timeoutMs);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    redis.once("ready", onReady);
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
