/**
 * This node's part in a cluster of Tributary nodes that share one store. Every round (a third of the
 * lease time to live) it announces the node, renews the leases of the jobs it runs and steps down
 * from any it lost, applies the pause and resume recorded for them by any node, claims its share of
 * the jobs nobody runs (a dead node's, a node's that left), and hands over what it holds beyond its
 * share when another node has room. Alone, it runs every job; a restarted node takes its own jobs
 * back at once (their leases name it).
 */
import type { JobRecord, Lease, NodeInfo, Store } from "../../store/types.js";
import type { Jobs } from "../jobs.js";
import type { OperatorLog } from "../operator-log.js";

/** How a node names itself to the others. */
export interface NodeIdentity {
  readonly id: string;
  /** Where its HTTP API can be reached (known once it listens). */
  readonly address: () => string;
  readonly leaseTtlMs: number;
}

/** Jobs claimed at once in a round: each waits mostly on the store and the workers. */
const CLAIM_CONCURRENCY = 8;

export class NodeCoordinator {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly startedAt = Date.now();
  private lastCpu = process.cpuUsage();
  private lastRoundAt = Date.now();
  /** Claims and handovers under way, and how many of them run now. */
  private readonly tasks = new Set<Promise<void>>();
  private running = 0;
  private readonly slotFreed: (() => void)[] = [];
  private startupClaims: Promise<void> = Promise.resolve();
  private completedRounds = 0;

  constructor(
    private readonly node: NodeIdentity,
    private readonly store: Store,
    private readonly jobs: Jobs,
    private readonly log: OperatorLog,
  ) {}

  /**
   * Runs a first round (this node takes the leases of its share), then one every third of the lease
   * TTL. Resolves after the first round: the jobs claimed in it are rebuilt in the background while
   * the node serves (see startupRebuilt).
   */
  async start(): Promise<void> {
    this.stopped = false;
    await this.runRound();
    const claimed = [...this.tasks];
    this.startupClaims = Promise.allSettled(claimed).then(() => undefined);
    this.schedule();
  }

  /** Resolves once the jobs claimed in the first round are rebuilt (or given up). */
  startupRebuilt(): Promise<void> {
    return this.startupClaims;
  }

  /** Whether a round has run to the end: until then, this node has not yet claimed its share. */
  get claimedShare(): boolean {
    return this.completedRounds > 0;
  }

  /** Stops the rounds (the jobs are handed over by Jobs.closeAll), then leaves the membership. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round;
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }

  /** Resolves once the claims and handovers started so far are done (tests, and start-up). */
  async settled(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }

  /** Removes this node from the live nodes at once. */
  async leave(): Promise<void> {
    await this.store.members.leave(this.node.id).catch(() => undefined);
  }

  /** One round now (tests use it to move on without waiting for the timer). */
  runRound(): Promise<void> {
    this.round = this.round.then(() => this.coordinate()).catch((error: Error) => {
      // The store is unreachable or slow: the next round tries again; leases lapse only after their TTL.
      this.log.warn({ node: this.node.id, cause: error.message }, "cluster round failed");
    });
    return this.round;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.runRound().then(() => this.schedule());
    }, Math.max(50, Math.floor(this.node.leaseTtlMs / 3)));
    this.timer.unref();
  }

  private async coordinate(): Promise<void> {
    if (this.stopped) return;
    const { store, jobs, node } = this;
    await store.members.announce(this.info(), node.leaseTtlMs);
    await Promise.all(jobs.held().map((lease) => this.renew(lease)));
    const readAfter = jobs.statusChanges();
    const [records, nodes] = await Promise.all([store.catalog.listJobs(), store.members.live()]);
    const byId = new Map(records.map((record) => [record.id, record]));
    for (const lease of jobs.held()) {
      const record = byId.get(lease.jobId);
      // Not listed: deleted, or registered here after the listing (read it again to tell).
      if (record === undefined && (await store.catalog.getJob(lease.jobId)) === undefined) await jobs.stepDown(lease.jobId, "the job was deleted");
      else if (record !== undefined) jobs.applyStatus(record, readAfter);
    }
    const runnable = records.filter((record) => record.status === "running" || record.status === "paused");
    const share = Math.ceil(runnable.length / Math.max(1, nodes.length));
    await this.claim(runnable, share);
    await this.handOver(runnable.length, nodes, share);
    this.completedRounds++;
  }

  private async renew(lease: Lease): Promise<void> {
    if (!(await this.store.leases.renew(lease, this.node.leaseTtlMs))) {
      await this.jobs.stepDown(lease.jobId, "its lease lapsed and may be another node's now");
    }
  }

  /**
   * Claims jobs nobody holds until this node runs its share. The leases are taken in the round; the
   * jobs are rebuilt in the background, CLAIM_CONCURRENCY at a time, so that a long recovery never
   * holds up the renewal of this node's other leases.
   */
  private async claim(runnable: readonly JobRecord[], share: number): Promise<void> {
    const held = new Set(this.jobs.held().map((lease) => lease.jobId));
    let room = share - held.size;
    // In a random order, so nodes claiming at the same moment mostly try different jobs.
    for (const record of shuffled(runnable.filter((r) => !held.has(r.id)))) {
      if (room <= 0) break;
      if (this.jobs.isRegistering(record.id)) continue;
      const lease = await this.store.leases.acquire(record.id, this.node.id, this.node.leaseTtlMs);
      if (lease === undefined) continue;
      room--;
      this.jobs.hold(lease);
      this.background(() => this.rebuild(record.id, lease));
    }
  }

  /** Rebuilds a claimed job here, from what the catalogue says of it now. */
  private async rebuild(id: string, lease: Lease): Promise<void> {
    const current = await this.store.catalog.getJob(id);
    if (current === undefined || (current.status !== "running" && current.status !== "paused")) {
      await this.jobs.stepDown(id, "it was deleted, stopped or failed while it was being claimed");
      await this.store.leases.release(lease).catch(() => undefined);
      return;
    }
    if (await this.jobs.claim(current, lease)) this.log.info({ job: id, node: this.node.id, epoch: lease.epoch }, "job claimed");
  }

  /** Runs `task` beside the rounds, CLAIM_CONCURRENCY such tasks at a time; stop() waits for them. */
  private background(task: () => Promise<void>): void {
    const run = async (): Promise<void> => {
      while (this.running >= CLAIM_CONCURRENCY) await new Promise<void>((resolve) => this.slotFreed.push(resolve));
      // Stopping: a claim not yet begun is left (Jobs.closeAll gives its lease up), so shutdown does not
      // wait for the rebuild of every job still queued.
      if (this.stopped) {
        this.slotFreed.shift()?.();
        return;
      }
      this.running++;
      try {
        await task();
      } catch (error) {
        this.log.warn({ node: this.node.id, cause: (error as Error).message }, "cluster task failed");
      } finally {
        this.running--;
        this.slotFreed.shift()?.();
      }
    };
    const done = run().finally(() => this.tasks.delete(done));
    this.tasks.add(done);
  }

  /** Hands over jobs beyond this node's share, as many as the other nodes have room for. */
  private async handOver(runnable: number, nodes: readonly NodeInfo[], share: number): Promise<void> {
    const held = this.jobs.held();
    if (nodes.length < 2 || held.length <= share) return;
    const least = Math.floor(runnable / nodes.length);
    const room = nodes.filter((n) => n.id !== this.node.id).reduce((sum, n) => sum + Math.max(0, least - n.jobs), 0);
    const surplus = Math.min(held.length - share, room);
    for (const lease of held.slice(0, surplus)) this.background(() => this.jobs.handOver(lease.jobId));
  }

  private info(): NodeInfo {
    const now = Date.now();
    const cpu = process.cpuUsage(this.lastCpu);
    const busyMsPerSec = now > this.lastRoundAt ? Math.round(((cpu.user + cpu.system) / 1000 / (now - this.lastRoundAt)) * 1000) : 0;
    this.lastCpu = process.cpuUsage();
    this.lastRoundAt = now;
    return { id: this.node.id, address: this.node.address(), startedAt: this.startedAt, jobs: this.jobs.held().length, busyMsPerSec };
  }
}

function shuffled<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
