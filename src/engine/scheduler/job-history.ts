/**
 * A job's recent past, kept by the scheduler: the newest complete checkpoint and every reduce task that
 * completed since. The runner reads it to rebuild a lost reduce partition (checkpoint, then replay).
 */
import type { PartitionHistory, ReduceTask } from "../task-runner.js";

export class JobHistory implements PartitionHistory {
  private checkpoint: { batchTime: number; snapshots: readonly Uint8Array[] } | undefined;
  private batches: (readonly ReduceTask[])[] = [];

  async since(partition: number): Promise<{ snapshot: Uint8Array | undefined; tasks: readonly ReduceTask[] }> {
    return {
      snapshot: this.checkpoint?.snapshots[partition],
      tasks: this.batches.map((tasks) => tasks[partition]!).filter((t) => t !== undefined),
    };
  }

  /** A batch's reduce tasks all completed. */
  committed(tasks: readonly ReduceTask[]): void {
    if (tasks.length > 0) this.batches.push(tasks);
  }

  /** A checkpoint covering every batch up to `batchTime` completed: what came before is no longer needed. */
  checkpointed(batchTime: number, snapshots: readonly Uint8Array[]): void {
    this.checkpoint = { batchTime, snapshots };
    this.batches = this.batches.filter((tasks) => tasks[0]!.batchTime > batchTime);
  }

  /** Batches held since the last checkpoint (bounded by the checkpoint interval). */
  get pending(): number {
    return this.batches.length;
  }
}
