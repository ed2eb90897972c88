/**
 * Registers every Lua script of the Redis store with ioredis (`defineCommand`: EVALSHA, falling back
 * to EVAL once per connection) and runs them with a typed signature. On a cluster a script runs on the
 * node of its keys' slot: every script's keys share one hash tag (see redis-keys.ts).
 */
import type { RedisClient } from "../redis-connection.js";
import { acquireLease } from "./acquire-lease.js";
import { appendBlock } from "./append-block.js";
import { appendResult } from "./append-result.js";
import { completeCheckpoint } from "./complete-checkpoint.js";
import { dropStream } from "./drop-stream.js";
import { partitionExtent } from "./partition-extent.js";
import { recordBatch } from "./record-batch.js";
import type { RedisScript } from "./redis-script.js";
import { renewLease } from "./renew-lease.js";
import { resultBounds } from "./result-bounds.js";
import { saveSnapshot } from "./save-snapshot.js";
import { trimBatches } from "./trim-batches.js";
import { trimBlocks } from "./trim-blocks.js";

const SCRIPTS: readonly RedisScript[] = [
  appendBlock,
  trimBlocks,
  partitionExtent,
  dropStream,
  recordBatch,
  trimBatches,
  appendResult,
  resultBounds,
  saveSnapshot,
  completeCheckpoint,
  acquireLease,
  renewLease,
];

/** A value a script takes as an argument: bytes go over the wire unchanged. */
export type ScriptArgument = string | number | Buffer;

type ScriptCommand = (numberOfKeys: number, ...keysAndArguments: ScriptArgument[]) => Promise<unknown>;

export class RedisScripts {
  constructor(private readonly redis: RedisClient) {
    // Without numberOfKeys: each call says how many keys it passes (append-block takes 3 or 4).
    for (const script of SCRIPTS) redis.defineCommand(script.name, { lua: script.lua });
  }

  /** Runs `script` with these keys and arguments; resolves with its reply as ioredis decodes it. */
  run(script: RedisScript, keys: readonly string[], args: readonly ScriptArgument[]): Promise<unknown> {
    const command = (this.redis as unknown as Record<string, ScriptCommand>)[script.name];
    if (command === undefined) throw new Error(`script ${script.name} is not registered`);
    return command.call(this.redis, keys.length, ...keys, ...args);
  }
}
