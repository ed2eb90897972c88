/**
 * What every part of the Redis store shares: the connection, the key names, the scripts, and `call`,
 * the one way an operation talks to Redis (so that closing and error reporting are handled once).
 */
import { FencedError, StoreUnavailableError, type Fence } from "../types.js";
import type { AofFsync } from "./aof-fsync.js";
import type { RedisClient } from "./redis-connection.js";
import type { RedisKeys } from "./redis-keys.js";
import { scriptError, storeError } from "./redis-errors.js";
import type { RedisScript } from "./scripts/redis-script.js";
import type { RedisScripts, ScriptArgument } from "./scripts/redis-scripts.js";

export class RedisContext {
  private closed = false;

  constructor(
    readonly redis: RedisClient,
    readonly keys: RedisKeys,
    readonly scripts: RedisScripts,
    /** Set when writes that are acknowledged must first be fsynced (see aof-fsync.ts). */
    private readonly fsync?: AofFsync,
  ) {}

  /**
   * Runs `operation` now (synchronously up to its first await, so commands go out in call order) and
   * reports its failure as the store's error; refuses once the store is closed.
   */
  async call<T>(what: string, operation: (redis: RedisClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError("the Redis store is closed");
    try {
      return await operation(this.redis);
    } catch (error) {
      throw storeError(what, error);
    }
  }

  /**
   * A `call` whose write someone is told about (an ingest's 202, a result frame sent to subscribers):
   * when the store waits for fsync, it resolves only once the write is in the fsynced append-only file.
   */
  async acknowledgedWrite<T>(what: string, operation: (redis: RedisClient) => Promise<T>): Promise<T> {
    const value = await this.call(what, operation);
    if (this.fsync) await this.call(`${what} (fsync)`, () => this.fsync!.afterWrite());
    return value;
  }

  /**
   * Runs a fenced script of `jobId` (see FENCE_CHECK): the job's epoch key goes last among its keys,
   * the writer's epoch last among its arguments; a stale one is thrown as FencedError.
   */
  async runFenced(script: RedisScript, jobId: string, keys: readonly string[], args: readonly ScriptArgument[], fence: Fence | undefined): Promise<unknown> {
    try {
      return await this.scripts.run(script, [...keys, this.keys.epoch(jobId)], [...args, fence === undefined ? "" : String(fence.epoch)]);
    } catch (error) {
      const refused = scriptError(error);
      if (refused?.code === "FENCED") throw new FencedError(jobId, fence?.epoch ?? 0, Number(refused.detail));
      throw error;
    }
  }

  /** From now on every call fails; commands already sent still get their replies. */
  close(): void {
    this.closed = true;
  }
}
