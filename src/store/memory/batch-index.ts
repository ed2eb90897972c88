/**
 * Batch descriptors per job, ordered by batch time, held in memory. Shared by the memory store and,
 * as its read side, the embedded store.
 */
import type { BatchDescriptor } from "../types.js";

export class BatchIndex {
  private readonly jobs = new Map<string, BatchDescriptor[]>();

  /**
   * Adds a descriptor in batch-time order. Recording a batch time again replaces the earlier
   * descriptor, so a batch re-recorded after a restart is never listed twice.
   */
  record(descriptor: BatchDescriptor): void {
    let descriptors = this.jobs.get(descriptor.jobId);
    if (descriptors === undefined) {
      descriptors = [];
      this.jobs.set(descriptor.jobId, descriptors);
    }
    const last = descriptors[descriptors.length - 1];
    if (last === undefined || last.batchTime < descriptor.batchTime) {
      descriptors.push(descriptor); // the usual case: the scheduler records batches in time order
      return;
    }
    const at = firstAfter(descriptors, descriptor.batchTime - 1);
    if (descriptors[at]?.batchTime === descriptor.batchTime) descriptors[at] = descriptor;
    else descriptors.splice(at, 0, descriptor);
  }

  /** Forgets descriptors with batchTime < beforeBatchTime. */
  trim(jobId: string, beforeBatchTime: number): void {
    const descriptors = this.jobs.get(jobId);
    if (descriptors === undefined) return;
    // firstAfter(t - 1) would be wrong for a non-integer batch time; count the smaller ones instead.
    let count = 0;
    while (count < descriptors.length && descriptors[count]!.batchTime < beforeBatchTime) count++;
    if (count > 0) descriptors.splice(0, count);
  }

  /** Number of descriptors held for the job. */
  size(jobId: string): number {
    return this.jobs.get(jobId)?.length ?? 0;
  }

  /** Descriptors with batchTime > afterBatchTime, oldest first, at most `limit`. */
  list(jobId: string, afterBatchTime: number, limit: number): BatchDescriptor[] {
    const descriptors = this.jobs.get(jobId);
    if (descriptors === undefined || !(limit > 0)) return [];
    const from = firstAfter(descriptors, afterBatchTime);
    return descriptors.slice(from, from + limit);
  }

  last(jobId: string): BatchDescriptor | undefined {
    const descriptors = this.jobs.get(jobId);
    return descriptors?.[descriptors.length - 1];
  }

  drop(jobId: string): void {
    this.jobs.delete(jobId);
  }
}

/** Index of the first descriptor with batchTime > `after` (binary search; descriptors are sorted). */
function firstAfter(descriptors: readonly BatchDescriptor[], after: number): number {
  let low = 0;
  let high = descriptors.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (descriptors[middle]!.batchTime > after) high = middle;
    else low = middle + 1;
  }
  return low;
}
