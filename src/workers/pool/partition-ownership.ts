/**
 * Which worker owns each reduce partition of each job. New jobs are dealt round-robin from a rotating
 * start, so several jobs spread evenly; a lost worker's partitions are dealt across every live worker
 * at once, so they are rebuilt in parallel.
 */
export type PartitionRef = { readonly jobId: string; readonly partition: number };

export class PartitionOwnership {
  private readonly owners = new Map<string, number[]>();
  private nextStart = 0;

  /** Assigns every partition of a new job; returns the owner of each partition. */
  assignJob(jobId: string, partitions: number, workers: readonly number[]): number[] {
    if (workers.length === 0) throw new Error("no live worker to assign partitions to");
    const start = this.nextStart++;
    const owners = Array.from({ length: partitions }, (_, p) => workers[(start + p) % workers.length]!);
    this.owners.set(jobId, owners);
    return owners;
  }

  removeJob(jobId: string): void {
    this.owners.delete(jobId);
  }

  ownerOf(jobId: string, partition: number): number | undefined {
    return this.owners.get(jobId)?.[partition];
  }

  partitionsOf(worker: number): PartitionRef[] {
    const refs: PartitionRef[] = [];
    for (const [jobId, owners] of this.owners) owners.forEach((owner, partition) => owner === worker && refs.push({ jobId, partition }));
    return refs;
  }

  /**
   * Moves every partition of `lost` onto `live` workers, dealt round-robin so that each takes an equal
   * share. Returns the moves.
   */
  reassign(lost: number, live: readonly number[]): (PartitionRef & { owner: number })[] {
    if (live.length === 0) throw new Error("no live worker to take over lost partitions");
    return this.partitionsOf(lost).map((ref, i) => {
      const owner = live[i % live.length]!;
      this.owners.get(ref.jobId)![ref.partition] = owner;
      return { ...ref, owner };
    });
  }
}
