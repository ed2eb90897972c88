/**
 * The Redis batch log: one sorted set per job, each descriptor's JSON scored by its batch time. A
 * re-recorded batch time replaces its descriptor (record-batch.lua), so a score never holds two.
 */
import type { BatchDescriptor, BatchLog, Fence } from "../types.js";
import type { RedisContext } from "./redis-context.js";
import { recordBatch } from "./scripts/record-batch.js";
import { trimBatches } from "./scripts/trim-batches.js";

export class RedisBatchLog implements BatchLog {
  constructor(private readonly context: RedisContext) {}

  async record(descriptor: BatchDescriptor, fence?: Fence): Promise<void> {
    const key = this.context.keys.batches(descriptor.jobId);
    assertScore("batchTime", descriptor.batchTime);
    const args = [String(descriptor.batchTime), JSON.stringify(descriptor)];
    return this.context.call(`record batch ${descriptor.batchTime} of ${descriptor.jobId}`, async () => {
      await this.context.runFenced(recordBatch, descriptor.jobId, [key], args, fence);
    });
  }

  async trim(jobId: string, beforeBatchTime: number, fence?: Fence): Promise<void> {
    const key = this.context.keys.batches(jobId);
    if (typeof beforeBatchTime !== "number" || Number.isNaN(beforeBatchTime)) {
      throw new RangeError(`beforeBatchTime must be a number, got ${String(beforeBatchTime)}`);
    }
    return this.context.call(`trim the batches of ${jobId}`, async () => {
      await this.context.runFenced(trimBatches, jobId, [key], [exclusive(beforeBatchTime)], fence);
    });
  }

  async list(jobId: string, afterBatchTime: number, limit: number): Promise<BatchDescriptor[]> {
    const key = this.context.keys.batches(jobId);
    return this.context.call(`list the batches of ${jobId}`, async (redis) => {
      if (!(limit > 0)) return [];
      const count = Number.isFinite(limit) ? Math.floor(limit) : -1;
      const lines = await redis.zrangebyscore(key, exclusive(afterBatchTime), "+inf", "LIMIT", 0, count);
      return lines.map((line) => JSON.parse(line) as BatchDescriptor);
    });
  }

  async last(jobId: string): Promise<BatchDescriptor | undefined> {
    const key = this.context.keys.batches(jobId);
    return this.context.call(`read the last batch of ${jobId}`, async (redis) => {
      const [line] = await redis.zrange(key, "-1", "-1");
      return line === undefined ? undefined : (JSON.parse(line) as BatchDescriptor);
    });
  }

  async drop(jobId: string): Promise<void> {
    const key = this.context.keys.batches(jobId);
    return this.context.call(`drop the batches of ${jobId}`, async (redis) => {
      await redis.del(key);
    });
  }
}

/** A score bound that excludes `value` ("(1000"), or the open end for an infinite one. */
function exclusive(value: number): string {
  if (value === Number.NEGATIVE_INFINITY) return "-inf";
  if (value === Number.POSITIVE_INFINITY) return "+inf";
  return `(${value}`;
}

function assertScore(what: string, value: number): void {
  if (!Number.isFinite(value)) throw new RangeError(`${what} must be a finite number, got ${value}`);
}
