/**
 * Which worker owns each reduce partition of each job. New jobs are dealt round-robin from a rotating
 * start, so several jobs spread evenly; a lost worker's partitions are dealt across every live worker
 * at once, so they are rebuilt in parallel; afterwards `rebalance` evens each job out again.
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
   * The moves that leave every job's partitions spread evenly over `live` (no worker owning two more
   * of a job's partitions than another), fewest first: each takes a partition from the worker owning
   * the most to the one owning the fewest. Nothing moves until `move` is called for it.
   */
  rebalance(live: readonly number[]): (PartitionRef & { from: number; owner: number })[] {
    const moves: (PartitionRef & { from: number; owner: number })[] = [];
    if (live.length < 2) return moves;
    for (const [jobId, owners] of this.owners) {
      const held = new Map<number, number[]>(live.map((w) => [w, []]));
      owners.forEach((owner, partition) => held.get(owner)?.push(partition));
      for (;;) {
        const byLoad = [...held.entries()].sort((a, b) => a[1].length - b[1].length || a[0] - b[0]);
        const [least, most] = [byLoad[0]!, byLoad[byLoad.length - 1]!];
        if (most[1].length - least[1].length < 2) break;
        const partition = most[1].pop()!;
        least[1].push(partition);
        moves.push({ jobId, partition, from: most[0], owner: least[0] });
      }
    }
    return moves;
  }

  /** Hands one partition to `owner` (once its state is there). */
  move(jobId: string, partition: number, owner: number): void {
    const owners = this.owners.get(jobId);
    if (owners && partition < owners.length) owners[partition] = owner;
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
