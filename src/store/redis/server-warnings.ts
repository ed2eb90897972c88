/**
 * Start-up checks of the Redis server's settings. The store trusts Redis as the system of record, which
 * holds only if writes are logged to disk (appendonly yes) and never evicted (maxmemory-policy
 * noeviction); anything else deserves a warning in the log, not a refusal to run.
 */
import type { Redis } from "ioredis";
import { StoreUnavailableError } from "../types.js";
import { everyServer, serverAddress, type RedisClient } from "./redis-connection.js";
import { storeError } from "./redis-errors.js";

interface ExpectedSetting {
  readonly parameter: string;
  readonly value: string;
  /** What goes wrong otherwise. */
  readonly risk: string;
}

const EXPECTED_SETTINGS: readonly ExpectedSetting[] = [
  {
    parameter: "appendonly",
    value: "yes",
    risk: "a Redis restart loses every write since the last snapshot, including ingested events that were acknowledged",
  },
  {
    parameter: "maxmemory-policy",
    value: "noeviction",
    risk: "Redis may evict stream blocks, batch descriptors or checkpoints when memory runs short, silently breaking recovery",
  },
];

/**
 * One message per setting that is not as the store expects, or that cannot be read (CONFIG may be
 * renamed or denied by an ACL, as on many hosted Redis services); of a cluster, of every master, each
 * message once with the masters it concerns. Rejects with StoreUnavailableError only when Redis itself
 * cannot be reached.
 */
export async function serverWarnings(client: RedisClient): Promise<string[]> {
  const servers = everyServer(client);
  if (servers.length === 1) return warningsOf(servers[0]!);
  const where = new Map<string, string[]>();
  const each = await Promise.all(servers.map(warningsOf));
  each.forEach((warnings, i) => {
    for (const warning of warnings) where.set(warning, [...(where.get(warning) ?? []), serverAddress(servers[i]!)]);
  });
  return [...where].map(([warning, addresses]) => `${warning} (Redis Cluster master${addresses.length === 1 ? "" : "s"} ${addresses.join(", ")})`);
}

async function warningsOf(redis: Redis): Promise<string[]> {
  const warnings: string[] = [];
  for (const setting of EXPECTED_SETTINGS) {
    let reply: unknown;
    try {
      reply = await redis.config("GET", setting.parameter);
    } catch (error) {
      const failure = storeError(`read ${setting.parameter}`, error);
      if (failure instanceof StoreUnavailableError) throw failure;
      warnings.push(
        `cannot check the Redis setting ${setting.parameter} (CONFIG GET is not allowed: ${failure.message}); make sure it is "${setting.value}", otherwise ${setting.risk}`,
      );
      continue;
    }
    const value = Array.isArray(reply) ? reply[1] : undefined;
    if (value === undefined) {
      warnings.push(`Redis did not report its ${setting.parameter} setting; make sure it is "${setting.value}", otherwise ${setting.risk}`);
    } else if (String(value) !== setting.value) {
      warnings.push(`Redis runs with ${setting.parameter} "${String(value)}": ${setting.risk}. Set ${setting.parameter} to "${setting.value}".`);
    }
  }
  return warnings;
}
