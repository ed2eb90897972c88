/**
 * The Redis checkpoint store: one hash of snapshots per job (field "<batchTime>:<partition>") and a
 * sorted set of the complete checkpoints, with a hash of the job counters each was completed with.
 * complete-checkpoint.lua checks, marks (counters included) and prunes in one step, so a checkpoint is
 * listed as complete only with every snapshot it needs, and its counters exist only with it.
 */
import { assertBatchTime, assertCounters, countersFrom, KEPT_COMPLETE_CHECKPOINTS } from "../contract.js";
import type { CheckpointStore, Fence, JobCounters } from "../types.js";
import type { RedisContext } from "./redis-context.js";
import { scriptError } from "./redis-errors.js";
import { completeCheckpoint } from "./scripts/complete-checkpoint.js";
import { saveSnapshot } from "./scripts/save-snapshot.js";

export class RedisCheckpointStore implements CheckpointStore {
  constructor(private readonly context: RedisContext) {}

  async save(jobId: string, batchTime: number, partition: number, state: Uint8Array, fence?: Fence): Promise<void> {
    const key = this.context.keys.snapshots(jobId);
    const field = this.context.keys.snapshotField(batchTime, partition);
    const bytes = Buffer.from(state.buffer, state.byteOffset, state.byteLength);
    return this.context.call(`save checkpoint ${batchTime} partition ${partition} of ${jobId}`, async () => {
      await this.context.runFenced(saveSnapshot, jobId, [key], [field, bytes], fence);
    });
  }

  async complete(jobId: string, batchTime: number, partitions: number, counters?: JobCounters, fence?: Fence): Promise<void> {
    const keys = [this.context.keys.snapshots(jobId), this.context.keys.completeCheckpoints(jobId), this.context.keys.checkpointCounters(jobId)];
    assertBatchTime(batchTime);
    if (!Number.isSafeInteger(partitions) || partitions < 0) {
      throw new RangeError(`partitions must be a non-negative integer, got ${partitions}`);
    }
    if (counters !== undefined) assertCounters(counters);
    const args = [String(batchTime), String(partitions), String(KEPT_COMPLETE_CHECKPOINTS), counters ? JSON.stringify(counters) : ""];
    return this.context.call(`complete checkpoint ${batchTime} of ${jobId}`, async () => {
      try {
        await this.context.runFenced(completeCheckpoint, jobId, keys, args, fence);
      } catch (error) {
        const refused = scriptError(error);
        if (refused?.code === "INCOMPLETE") {
          throw new Error(
            `checkpoint ${batchTime} of job ${jobId} cannot be completed: no snapshot saved for partition(s) ${refused.detail.split(",").join(", ")}`,
          );
        }
        throw error;
      }
    });
  }

  async listComplete(jobId: string): Promise<number[]> {
    const key = this.context.keys.completeCheckpoints(jobId);
    return this.context.call(`list the checkpoints of ${jobId}`, async (redis) => (await redis.zrevrange(key, 0, -1)).map(Number));
  }

  async load(jobId: string, batchTime: number, partition: number): Promise<Uint8Array | undefined> {
    const key = this.context.keys.snapshots(jobId);
    const field = this.context.keys.snapshotField(batchTime, partition);
    return this.context.call(`load checkpoint ${batchTime} partition ${partition} of ${jobId}`, async (redis) => {
      const state = await redis.hgetBuffer(key, field);
      // A fresh, exactly-sized copy: safe for the caller to transfer to a worker thread.
      return state === null ? undefined : new Uint8Array(state);
    });
  }

  async counters(jobId: string, batchTime: number): Promise<JobCounters | undefined> {
    const key = this.context.keys.checkpointCounters(jobId);
    assertBatchTime(batchTime);
    return this.context.call(`read the counters of checkpoint ${batchTime} of ${jobId}`, async (redis) => {
      const json = await redis.hget(key, String(batchTime));
      if (json === null) return undefined;
      try {
        return countersFrom(JSON.parse(json));
      } catch {
        return undefined;
      }
    });
  }

  async drop(jobId: string): Promise<void> {
    const keys = [this.context.keys.snapshots(jobId), this.context.keys.completeCheckpoints(jobId), this.context.keys.checkpointCounters(jobId)];
    return this.context.call(`drop the checkpoints of ${jobId}`, async (redis) => {
      await redis.del(...keys);
    });
  }
}
