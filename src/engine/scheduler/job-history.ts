/**
 * A job's recent past, kept by the scheduler: the newest complete checkpoint and every reduce task that
 * completed since. The runner reads it to rebuild a lost reduce partition (checkpoint, then replay).
 *
 * A task counts from the moment its partition answers it, not when its whole batch is done: a worker
 * that answers one partition's task and dies before the batch's other partitions answer has still
 * changed that partition's state, and the rebuild must include it (the task is not sent again).
 */
import type { PartitionHistory, ReduceTask } from "../task-runner.js";

export class JobHistory implements PartitionHistory {
  private checkpoint: { batchTime: number; snapshots: readonly Uint8Array[] } | undefined;
  /** Per partition, the reduce tasks it completed since the checkpoint, in order. */
  private completed = new Map<number, ReduceTask[]>();

  async since(partition: number): Promise<{ snapshot: Uint8Array | undefined; tasks: readonly ReduceTask[] }> {
    return { snapshot: this.checkpoint?.snapshots[partition], tasks: [...(this.completed.get(partition) ?? [])] };
  }

  /** A partition answered a reduce task: its state now includes it. */
  reduced(task: ReduceTask): void {
    const tasks = this.completed.get(task.partition) ?? [];
    this.completed.set(task.partition, tasks);
    tasks.push(task);
  }

  /** A checkpoint covering every batch up to `batchTime` completed: what came before is no longer needed. */
  checkpointed(batchTime: number, snapshots: readonly Uint8Array[]): void {
    this.checkpoint = { batchTime, snapshots };
    for (const [partition, tasks] of this.completed) this.completed.set(partition, tasks.filter((t) => t.batchTime > batchTime));
  }
}
