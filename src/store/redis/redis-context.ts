/**
 * What every part of the Redis store shares: the connection, the key names, the scripts, and `call`,
 * the one way an operation talks to Redis (so that closing and error reporting are handled once).
 */
import type { Redis } from "ioredis";
import { StoreUnavailableError } from "../types.js";
import type { RedisKeys } from "./redis-keys.js";
import { storeError } from "./redis-errors.js";
import type { RedisScripts } from "./scripts/redis-scripts.js";

export class RedisContext {
  private closed = false;

  constructor(
    readonly redis: Redis,
    readonly keys: RedisKeys,
    readonly scripts: RedisScripts,
  ) {}

  /**
   * Runs `operation` now (synchronously up to its first await, so commands go out in call order) and
   * reports its failure as the store's error; refuses once the store is closed.
   */
  async call<T>(what: string, operation: (redis: Redis) => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError("the Redis store is closed");
    try {
      return await operation(this.redis);
    } catch (error) {
      throw storeError(what, error);
    }
  }

  /** From now on every call fails; commands already sent still get their replies. */
  close(): void {
    this.closed = true;
  }
}
