/**
 * Where each job's reduce partitions live, and getting every request for one to its owner. A new
 * job's partitions are dealt over the live workers and built there; a lost worker's partitions are
 * dealt across every live worker and rebuilt in parallel from their history (the last checkpoint plus
 * the reduce tasks since) while the requests waiting on them are held, then sent again. Once nothing
 * is being rebuilt, partitions are moved (state snapshotted on one worker, restored on another) until
 * every job is spread evenly over the live workers again.
 */
import type { Metrics } from "../../metrics/metrics.js";
import type { JobDeployment, ReduceTask } from "../../engine/task-runner.js";
import { PartitionOwnership } from "./partition-ownership.js";
import { unlessLost, WorkerLostError, type WorkerHandle } from "./worker-handle.js";
import type { WorkerRoster } from "./worker-roster.js";

const key = (jobId: string, partition: number) => `${jobId}#${partition}`;

/** A partition's state to build from: a snapshot (none: empty) and the reduce tasks to replay on it. */
type PartitionHistory = () => Promise<{ snapshot: Uint8Array | undefined; tasks: readonly ReduceTask[] }>;

export class PartitionPlacement {
  private readonly ownership = new PartitionOwnership();
  /** Resolves once a reduce partition is built on its current owner (or moved to it). */
  private readonly partitionReady = new Map<string, Promise<void>>();
  /** Requests sent to a partition's owner and not yet answered, by partition. */
  private readonly sentToOwner = new Map<string, Set<Promise<unknown>>>();
  /** Partitions being moved, and the moves under way. */
  private readonly moving = new Map<string, Promise<void>>();
  /** Deaths whose partitions are still being rebuilt: no partition moves until they are done. */
  private recoveries = 0;
  private closing = false;

  constructor(
    private readonly roster: WorkerRoster,
    private readonly deployments: ReadonlyMap<string, JobDeployment>,
    private readonly metrics?: Metrics,
  ) {}

  /** Deals a newly deployed job's partitions over the live workers and builds each, empty, on its owner. */
  async place(deployment: JobDeployment): Promise<void> {
    const owners = this.ownership.assignJob(deployment.jobId, deployment.partitions, this.roster.live().map((w) => w.index));
    await Promise.all(owners.map((owner, p) => this.build(deployment.jobId, p, owner, async () => ({ snapshot: undefined, tasks: [] })).catch(unlessLost)));
  }

  /** Forgets a removed job's partitions: requests for them not yet sent are refused. */
  remove(jobId: string): void {
    this.ownership.removeJob(jobId);
    for (const k of [...this.partitionReady.keys()]) if (k.startsWith(`${jobId}#`)) this.partitionReady.delete(k);
  }

  ownerOf(jobId: string, partition: number): number | undefined {
    return this.ownership.ownerOf(jobId, partition);
  }

  /** Runs `send` on the partition's owner once it is built there; if the owner dies, waits and retries. */
  async onOwner<T>(jobId: string, partition: number, kind: string, send: (w: WorkerHandle) => Promise<T>): Promise<T> {
    const k = key(jobId, partition);
    // Bound to this deployment: a request of a job removed while it waited never reaches a job
    // registered again under the same name.
    const deployment = this.deployments.get(jobId);
    for (;;) {
      if (!deployment || this.deployments.get(jobId) !== deployment) throw new Error(`job ${jobId} is not deployed on the worker pool`);
      const ready = this.partitionReady.get(k);
      await ready?.catch(() => undefined);
      // Rebuilt or moved again while this waited: wait for that too, so nothing reaches a partition mid-move.
      if (this.partitionReady.get(k) !== ready) continue;
      const owner = this.ownership.ownerOf(jobId, partition);
      const handle = owner === undefined ? undefined : this.roster.worker(owner);
      if (!handle?.alive) {
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      try {
        const value = await this.tracked(k, send(handle));
        if (kind === "reduce") this.metrics?.workerTasks.inc({ worker: String(handle.index), kind });
        return value;
      } catch (error) {
        if (!(error instanceof WorkerLostError)) throw error;
      }
    }
  }

  /**
   * Deals a lost worker's partitions across `owners`, which rebuild them in parallel from their
   * history; no partition moves until they are all done. Returns how many partitions were lost, and
   * the outcome of each rebuild once all have settled and the jobs are being evened out again.
   */
  rebuildLost(lost: number, owners: readonly number[]): { partitionsLost: number; rebuilt: Promise<PromiseSettledResult<void>[]> } {
    this.recoveries += 1;
    const moves = this.ownership.reassign(lost, owners);
    const rebuilds = moves.map(({ jobId, partition, owner }) => {
      const deployment = this.deployments.get(jobId);
      return deployment ? this.build(jobId, partition, owner, () => deployment.history.since(partition)) : Promise.resolve();
    });
    const rebuilt = Promise.allSettled(rebuilds).then((outcomes) => {
      this.recoveries -= 1;
      this.rebalance();
      return outcomes;
    });
    return { partitionsLost: moves.length, rebuilt };
  }

  /** Resolves when no partition is being rebuilt (or moved, once a move has started). */
  async whenBuilt(): Promise<void> {
    await Promise.allSettled([...this.partitionReady.values()]);
  }

  /** Resolves when no partition is being moved. */
  async whenMoved(): Promise<void> {
    while (this.moving.size > 0) await Promise.allSettled([...this.moving.values()]);
  }

  /** Moves partitions until every job is spread evenly over the live workers (see PartitionOwnership.rebalance). */
  rebalance(): void {
    if (this.closing || this.recoveries > 0) return;
    // Over the workers that are ready; one still booting calls this again once it is.
    const ready = this.roster.live().filter((w) => this.roster.whenReady(w.index) === undefined);
    for (const move of this.ownership.rebalance(ready.map((w) => w.index))) {
      const k = key(move.jobId, move.partition);
      if (this.moving.has(k)) continue;
      const moving = this.move(move.jobId, move.partition, move.from, move.owner);
      this.moving.set(k, moving.then(() => undefined));
      // A finished move may leave another worth making (one planned alongside it was skipped).
      void moving.then((moved) => {
        this.moving.delete(k);
        if (moved) this.rebalance();
      });
    }
  }

  /** Starts no more moves (the pool is closing). */
  close(): void {
    this.closing = true;
  }

  /** `sent`, counted among the partition's unanswered requests until it settles. */
  private tracked<T>(k: string, sent: Promise<T>): Promise<T> {
    const pending = this.sentToOwner.get(k) ?? new Set<Promise<unknown>>();
    this.sentToOwner.set(k, pending);
    pending.add(sent);
    const done = () => {
      pending.delete(sent);
      if (pending.size === 0 && this.sentToOwner.get(k) === pending) this.sentToOwner.delete(k);
    };
    sent.then(done, done);
    return sent;
  }

  /**
   * Moves one partition at a batch boundary of its own: new requests for it wait (partitionReady),
   * the ones already sent are answered, then its state is snapshotted on `from` and restored on `to`,
   * which owns it from then on. A worker lost meanwhile ends the move, and so does anything else that
   * takes the partition over (a rebuild, the job deployed again): they hold its requests from then on.
   * Resolves to whether the partition moved.
   */
  private move(jobId: string, partition: number, from: number, to: number): Promise<boolean> {
    const k = key(jobId, partition);
    const before = this.partitionReady.get(k);
    const stillOurs = () => this.partitionReady.get(k) === held && this.ownership.ownerOf(jobId, partition) === from;
    const moved = (async () => {
      await before?.catch(() => undefined);
      await Promise.allSettled([...(this.sentToOwner.get(k) ?? [])]);
      const [source, target] = [this.roster.worker(from), this.roster.worker(to)];
      if (!source?.alive || !target?.alive || !this.deployments.has(jobId) || !stillOurs()) return false;
      const snapshot = await source.request<Uint8Array>({ type: "snapshot", jobId, partition });
      if (!stillOurs() || !target.alive) return false;
      await target.request({ type: "rebuild", jobId, partition, snapshot, tasks: [] });
      if (!stillOurs() || !target.alive) {
        // Taken over meanwhile: the copy on `to` is not needed, unless `to` now owns the partition
        // (whatever took it over sends its own rebuild there after this one).
        if (this.ownership.ownerOf(jobId, partition) !== to) void target.request({ type: "release", jobId, partition }).catch(() => undefined);
        return false;
      }
      this.ownership.move(jobId, partition, to);
      this.metrics?.workerTasks.inc({ worker: String(to), kind: "move" });
      void source.request({ type: "release", jobId, partition }).catch(() => undefined);
      return true;
    })().catch(() => false);
    const held: Promise<void> = moved.then(() => undefined);
    this.partitionReady.set(k, held);
    return moved;
  }

  /**
   * Builds a reduce partition on its owner from its history. The partition counts as not ready from
   * this call on, so no task reaches the new owner before the rebuild is done.
   */
  private build(jobId: string, partition: number, owner: number, history: PartitionHistory): Promise<void> {
    const ready = (async () => {
      const { snapshot, tasks } = await history();
      await this.roster.whenReady(owner);
      // An owner lost meanwhile has had its partitions dealt to others, which build them anew.
      const handle = this.roster.worker(owner);
      if (!handle) throw new WorkerLostError(owner, "lost before its partitions were built");
      await handle.request({ type: "rebuild", jobId, partition, snapshot, tasks });
      this.metrics?.workerTasks.inc({ worker: String(owner), kind: "rebuild" });
    })();
    this.partitionReady.set(key(jobId, partition), ready);
    ready.catch(() => undefined);
    return ready;
  }
}
