/**
 * Which checkpoint snapshots exist per job, which checkpoints are complete (with the job counters each
 * was completed with), plus the retention rule. The memory store keeps the snapshot bytes in it; the
 * embedded store keeps file paths.
 */
import { KEPT_COMPLETE_CHECKPOINTS } from "../contract.js";
import type { JobCounters } from "../types.js";

interface Checkpoint<Snapshot> {
  readonly snapshots: Map<number, Snapshot>;
  complete: boolean;
  counters?: JobCounters;
}

export class CheckpointIndex<Snapshot> {
  private readonly jobs = new Map<string, Map<number, Checkpoint<Snapshot>>>();

  save(jobId: string, batchTime: number, partition: number, snapshot: Snapshot): void {
    this.checkpoint(jobId, batchTime).snapshots.set(partition, snapshot);
  }

  get(jobId: string, batchTime: number, partition: number): Snapshot | undefined {
    return this.jobs.get(jobId)?.get(batchTime)?.snapshots.get(partition);
  }

  /**
   * Throws unless partitions 0..partitions-1 all have a snapshot at batchTime: a checkpoint marked
   * complete without them could not be restored.
   */
  assertCompletable(jobId: string, batchTime: number, partitions: number): void {
    if (!Number.isSafeInteger(partitions) || partitions < 0) {
      throw new RangeError(`partitions must be a non-negative integer, got ${partitions}`);
    }
    const snapshots = this.jobs.get(jobId)?.get(batchTime)?.snapshots;
    const missing: number[] = [];
    for (let partition = 0; partition < partitions; partition++) {
      if (!snapshots?.has(partition)) missing.push(partition);
    }
    if (missing.length > 0) {
      throw new Error(
        `checkpoint ${batchTime} of job ${jobId} cannot be completed: no snapshot saved for partition(s) ${missing.join(", ")}`,
      );
    }
  }

  /**
   * Marks the checkpoint complete, with the counters it carries (a job without state has saved no
   * snapshot); callers check assertCompletable first (or trust a stored marker).
   */
  markComplete(jobId: string, batchTime: number, counters?: JobCounters): void {
    const checkpoint = this.checkpoint(jobId, batchTime);
    checkpoint.complete = true;
    if (counters === undefined) delete checkpoint.counters;
    else checkpoint.counters = { ...counters };
  }

  /** The counters of a complete checkpoint, when it carries them. */
  counters(jobId: string, batchTime: number): JobCounters | undefined {
    const checkpoint = this.jobs.get(jobId)?.get(batchTime);
    return checkpoint?.complete && checkpoint.counters ? { ...checkpoint.counters } : undefined;
  }

  /** Complete checkpoints' batch times, newest first. */
  listComplete(jobId: string): number[] {
    const checkpoints = this.jobs.get(jobId);
    if (checkpoints === undefined) return [];
    const complete: number[] = [];
    for (const [batchTime, checkpoint] of checkpoints) if (checkpoint.complete) complete.push(batchTime);
    return complete.sort((a, b) => b - a);
  }

  /**
   * Forgets every checkpoint, complete or not, older than the oldest kept complete one, and returns
   * their batch times so the caller can delete what they hold. Newer, still-incomplete checkpoints are
   * kept: their partitions may still be saving.
   */
  prune(jobId: string): number[] {
    const oldestKept = this.listComplete(jobId)[KEPT_COMPLETE_CHECKPOINTS - 1];
    const checkpoints = this.jobs.get(jobId);
    if (oldestKept === undefined || checkpoints === undefined) return [];
    const removed: number[] = [];
    for (const batchTime of checkpoints.keys()) {
      if (batchTime < oldestKept) removed.push(batchTime);
    }
    for (const batchTime of removed) checkpoints.delete(batchTime);
    return removed;
  }

  drop(jobId: string): void {
    this.jobs.delete(jobId);
  }

  private checkpoint(jobId: string, batchTime: number): Checkpoint<Snapshot> {
    let checkpoints = this.jobs.get(jobId);
    if (checkpoints === undefined) {
      checkpoints = new Map();
      this.jobs.set(jobId, checkpoints);
    }
    let checkpoint = checkpoints.get(batchTime);
    if (checkpoint === undefined) {
      checkpoint = { snapshots: new Map(), complete: false };
      checkpoints.set(batchTime, checkpoint);
    }
    return checkpoint;
  }
}
