/**
 * Start-up checks of the Redis server's settings. The store trusts Redis as the system of record, which
 * holds only if writes are logged to disk (appendonly yes) and never evicted (maxmemory-policy
 * noeviction); anything else deserves a warning in the log, not a refusal to run.
 */
import type { Redis } from "ioredis";
import { StoreUnavailableError } from "../types.js";
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
 * renamed or denied by an ACL, as on many hosted Redis services). Rejects with StoreUnavailableError
 * only when Redis itself cannot be reached.
 */
export async function serverWarnings(redis: Redis): Promise<string[]> {
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
