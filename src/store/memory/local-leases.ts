/**
 * Leases, membership and fencing for the single-process stores (memory and embedded): the same
 * contract as the Redis store's, held in this process. Only one process ever opens such a store, so
 * they matter for the engine's own lifecycle (a job deleted while it writes is fenced) and keep the
 * conformance suite one for every store.
 */
import { assertTtl } from "../contract.js";
import { FencedError, type BatchLog, type CheckpointStore, type Fence, type Lease, type Leases, type Membership, type NodeInfo, type ResultLog } from "../types.js";

interface Grant {
  readonly node: string;
  readonly epoch: number;
  readonly expiresAt: number;
}

export class LocalLeases implements Leases, Membership {
  /** The newest epoch granted per job: kept after the lease lapses or the job is deleted. */
  private readonly epochs = new Map<string, number>();
  private readonly grants = new Map<string, Grant>();
  private readonly nodes = new Map<string, { info: NodeInfo; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async acquire(jobId: string, node: string, ttlMs: number): Promise<Lease | undefined> {
    assertTtl(ttlMs);
    const held = this.current(jobId);
    if (held !== undefined && held.node !== node) return undefined;
    return this.grant(jobId, node, ttlMs);
  }

  async seize(jobId: string, node: string, ttlMs: number): Promise<Lease> {
    assertTtl(ttlMs);
    return this.grant(jobId, node, ttlMs);
  }

  async renew(lease: Lease, ttlMs: number): Promise<boolean> {
    assertTtl(ttlMs);
    // A lease that lapsed without being granted again is still the caller's (nobody else wrote since).
    if (this.epochs.get(lease.jobId) !== lease.epoch) return false;
    const held = this.current(lease.jobId);
    if (held !== undefined && held.node !== lease.node) return false;
    this.grants.set(lease.jobId, { node: lease.node, epoch: lease.epoch, expiresAt: this.now() + ttlMs });
    return true;
  }

  async release(lease: Lease): Promise<void> {
    if (this.epochs.get(lease.jobId) !== lease.epoch) return;
    const held = this.current(lease.jobId);
    if (held !== undefined && held.node !== lease.node) return;
    // The epoch moves on, so the former holder is fenced at once and cannot renew it.
    this.grants.delete(lease.jobId);
    this.epochs.set(lease.jobId, lease.epoch + 1);
  }

  async holder(jobId: string): Promise<{ node: string; epoch: number } | undefined> {
    const held = this.current(jobId);
    return held === undefined ? undefined : { node: held.node, epoch: held.epoch };
  }

  /** Refuses a write whose fence is not the job's newest epoch (a write without a fence passes). */
  check(jobId: string, fence: Fence | undefined): void {
    if (fence === undefined) return;
    const current = this.epochs.get(jobId) ?? 0;
    if (current !== fence.epoch) throw new FencedError(jobId, fence.epoch, current);
  }

  async announce(node: NodeInfo, ttlMs: number): Promise<void> {
    assertTtl(ttlMs);
    this.nodes.set(node.id, { info: node, expiresAt: this.now() + ttlMs });
  }

  async leave(nodeId: string): Promise<void> {
    this.nodes.delete(nodeId);
  }

  async live(): Promise<NodeInfo[]> {
    const now = this.now();
    return [...this.nodes.values()].filter((n) => n.expiresAt > now).map((n) => n.info).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private current(jobId: string): Grant | undefined {
    const held = this.grants.get(jobId);
    return held !== undefined && held.expiresAt > this.now() ? held : undefined;
  }

  private grant(jobId: string, node: string, ttlMs: number): Lease {
    const epoch = (this.epochs.get(jobId) ?? 0) + 1;
    this.epochs.set(jobId, epoch);
    this.grants.set(jobId, { node, epoch, expiresAt: this.now() + ttlMs });
    return { jobId, node, epoch };
  }
}

/**
 * A store's job-scoped logs with every fenced write checked against `leases` first (for stores whose
 * writes do not check fences themselves); reads and drops pass through.
 */
export function fencedLocally(
  leases: LocalLeases,
  logs: { readonly batches: BatchLog; readonly results: ResultLog; readonly checkpoints: CheckpointStore },
): { batches: BatchLog; results: ResultLog; checkpoints: CheckpointStore } {
  const { batches, results, checkpoints } = logs;
  return {
    batches: {
      async record(descriptor, fence) {
        leases.check(descriptor.jobId, fence);
        return batches.record(descriptor);
      },
      async trim(jobId, beforeBatchTime, fence) {
        leases.check(jobId, fence);
        return batches.trim(jobId, beforeBatchTime);
      },
      list: (jobId, afterBatchTime, limit) => batches.list(jobId, afterBatchTime, limit),
      last: (jobId) => batches.last(jobId),
      drop: (jobId) => batches.drop(jobId),
    },
    results: {
      async append(jobId, frame, fence) {
        leases.check(jobId, fence);
        return results.append(jobId, frame);
      },
      read: (jobId, fromSeq, limit) => results.read(jobId, fromSeq, limit),
      readNewest: (jobId, limit) => results.readNewest(jobId, limit),
      bounds: (jobId) => results.bounds(jobId),
      drop: (jobId) => results.drop(jobId),
    },
    checkpoints: {
      async save(jobId, batchTime, partition, state, fence) {
        leases.check(jobId, fence);
        return checkpoints.save(jobId, batchTime, partition, state);
      },
      async complete(jobId, batchTime, partitions, counters, fence) {
        leases.check(jobId, fence);
        return checkpoints.complete(jobId, batchTime, partitions, counters);
      },
      listComplete: (jobId) => checkpoints.listComplete(jobId),
      load: (jobId, batchTime, partition) => checkpoints.load(jobId, batchTime, partition),
      counters: (jobId, batchTime) => checkpoints.counters(jobId, batchTime),
      drop: (jobId) => checkpoints.drop(jobId),
    },
  };
}
