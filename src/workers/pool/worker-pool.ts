/**
 * The worker pool: a TaskRunner over worker threads. Map tasks (stateless) go to the least busy
 * worker, with a speculative copy for stragglers. Each reduce partition lives on one owner; its tasks
 * go there. When a worker dies (its thread exits or throws, or it is ended on purpose) it is replaced, and its partitions
 * are dealt across every live worker and rebuilt in parallel from their history — the last
 * checkpoint plus the reduce tasks since — while work waiting on them is held, then run again. Once
 * they are rebuilt, partitions are moved (state snapshotted on one worker, restored on another) until
 * every job is spread evenly over the live workers again. A worker that is only slow (a costly task, a
 * machine short of CPU) is never taken for a dead one, and a worker's death never reaches the job: what
 * it was running runs again on the others.
 */
import { workerDeathReason, type Metrics, type WorkerFigures } from "../../metrics/metrics.js";
import type { Key } from "../../engine/operators/key-by.js";
import type { OperatorLog } from "../../engine/operator-log.js";
import type { JobDeployment, MapResult, MapTask, ReduceResult, ReduceTask, StateLookup, TaskRunner } from "../../engine/task-runner.js";
import { PartitionPlacement } from "./partition-placement.js";
import type { InjectedFault, WorkerHeap } from "./protocol.js";
import { MapScheduler } from "./map-scheduler.js";
import { unlessLost, WorkerHandle } from "./worker-handle.js";
import type { WorkerRoster } from "./worker-roster.js";

export interface WorkerPoolOptions {
  /** Worker threads; default one per core. */
  readonly workers: number;
  readonly metrics?: Metrics;
  /** A map task slower than this multiple of its batch's median gets a speculative copy (0: never). */
  readonly speculationMultiplier?: number;
  /** Ignore stragglers shorter than this, where timing noise dominates. */
  readonly speculationMinimumMs?: number;
  /**
   * Threads kept booted with every job deployed but owning nothing and running no task (0 or 1;
   * default 1): a dead worker's place is taken at once, without waiting for a thread to boot.
   */
  readonly standbyWorkers?: number;
  /** Where a worker's death and its replacement are told (default: nowhere). */
  readonly log?: OperatorLog;
}

/** How long after a recovery the next standby thread starts booting. */
const STANDBY_RESPAWN_DELAY_MS = 2000;

/** How long a metrics scrape waits for a worker to tell its heap (see figures()). */
const HEAP_ANSWER_MS = 250;

export class WorkerPool implements TaskRunner {
  private readonly workers = new Map<number, WorkerHandle>();
  /** Resolves once a worker is started and has every job deployed. */
  private readonly workerReady = new Map<number, Promise<void>>();
  private readonly deployments = new Map<string, JobDeployment>();
  private nextIndex = 0;
  private readonly maps: MapScheduler;
  private readonly placement: PartitionPlacement;
  private closing = false;
  /** The standby thread (see WorkerPoolOptions.standbyWorkers), and when it is booted and deployed. */
  private standby: { readonly handle: WorkerHandle; readonly ready: Promise<void> } | undefined;
  /** Each live worker's heap in use as it last answered (see figures()). */
  private readonly lastHeapUsed = new Map<number, number>();

  private constructor(private readonly options: WorkerPoolOptions) {
    const roster: WorkerRoster = {
      live: () => [...this.workers.values()].filter((w) => w.alive),
      worker: (index) => this.workers.get(index),
      whenReady: (index) => this.workerReady.get(index),
    };
    this.maps = new MapScheduler(roster, (jobId) => this.deployments.has(jobId), options);
    this.placement = new PartitionPlacement(roster, this.deployments, options.metrics);
    options.metrics?.observeWorkers(() => this.figures());
  }

  static async start(options: WorkerPoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(options);
    for (let i = 0; i < options.workers; i++) pool.spawn();
    pool.spawnStandby();
    await Promise.all([...pool.workerReady.values(), pool.standby?.ready]);
    return pool;
  }

  /** Indexes of live workers (a replacement gets a new index). */
  liveWorkers(): number[] {
    return [...this.workers.values()].filter((w) => w.alive).map((w) => w.index);
  }

  async deploy(deployment: JobDeployment): Promise<void> {
    this.deployments.set(deployment.jobId, deployment);
    const standby = this.standby;
    // A standby still booting deploys every job once booted; one already booted gets this one now.
    void standby?.ready
      .then(() => (this.deployments.get(deployment.jobId) === deployment ? this.deployOn(standby.handle, deployment) : undefined))
      .catch(() => undefined);
    // A worker lost meanwhile is no failure of the deployment: its replacement deploys every job as it
    // boots, and the partitions it was given are rebuilt on the others (onDeath).
    await Promise.all(this.liveWorkers().map((w) => this.deployOn(this.workers.get(w)!, deployment).catch(unlessLost)));
    await this.placement.place(deployment);
  }

  /**
   * Removes a job at once, whatever its tasks are doing: its map tasks still queued are dropped, those
   * running stop at their next row (TaskAbandonedError), and its reduce requests not yet sent are
   * refused. Each worker drops the job's partitions once it is done with the request in hand, which is
   * not waited for: a worker in the middle of a costly row must not hold up a delete.
   */
  async undeploy(jobId: string): Promise<void> {
    this.deployments.delete(jobId);
    this.placement.remove(jobId);
    this.maps.abandonJob(jobId);
    const handles = [...this.liveWorkers().map((w) => this.workers.get(w)!), ...(this.standby ? [this.standby.handle] : [])];
    for (const handle of handles) void handle.request({ type: "undeploy", jobId }).catch(() => undefined);
  }

  map(task: MapTask): Promise<MapResult> {
    return this.maps.map(task);
  }

  async reduce(task: ReduceTask): Promise<ReduceResult> {
    return this.placement.onOwner(task.jobId, task.partition, "reduce", (w) => w.request<ReduceResult>({ type: "reduce", task }));
  }

  snapshot(jobId: string, partition: number): Promise<Uint8Array> {
    return this.placement.onOwner(jobId, partition, "snapshot", (w) => w.request<Uint8Array>({ type: "snapshot", jobId, partition }));
  }

  lookup(jobId: string, partition: number, key: Key | undefined): Promise<StateLookup> {
    return this.placement.onOwner(jobId, partition, "lookup", (w) => w.request<StateLookup>({ type: "lookup", jobId, partition, key }));
  }

  async restore(jobId: string, partition: number, snapshot: Uint8Array): Promise<void> {
    await this.placement.onOwner(jobId, partition, "restore", (w) => w.request({ type: "restore", jobId, partition, snapshot }));
  }

  /** Fault injection (tests, benchmarks): slow a worker's map tasks, or crash it. */
  inject(worker: number, fault: InjectedFault): Promise<unknown> {
    const handle = this.workers.get(worker);
    if (!handle) throw new Error(`no live worker ${worker}`);
    return handle.request({ type: "inject", fault }).catch(() => undefined);
  }

  /**
   * Ends a worker's thread on purpose (tests, benchmarks, an operator ending a worker stuck in a task):
   * it is lost as if it had died, and replaced; what it was running runs again on the others.
   */
  async terminateWorker(worker: number): Promise<void> {
    const handle = this.workers.get(worker);
    if (!handle) throw new Error(`no live worker ${worker}`);
    await handle.terminate("terminated");
  }

  /** Requests a live worker has started and not finished, as its thread counts them; 0 for no such worker. */
  runningOn(worker: number): number {
    return this.workers.get(worker)?.running ?? 0;
  }

  /** Each live worker's V8 heap as it stands (no collection forced), by worker index. */
  async heaps(): Promise<Map<number, WorkerHeap>> {
    const live = this.liveWorkers().map((w) => this.workers.get(w)!);
    const heaps = await Promise.all(live.map((handle) => handle.request<WorkerHeap>({ type: "heap" })));
    return new Map(live.map((handle, i) => [handle.index, heaps[i]!]));
  }

  /**
   * For a metrics scrape: each live worker's heap in use and event-loop utilization since the previous
   * scrape. A worker busy with a long task answers the heap request only after it; past HEAP_ANSWER_MS
   * its heap as last answered is given instead (none before its first answer).
   */
  async figures(): Promise<WorkerFigures[]> {
    const live = this.liveWorkers().map((w) => this.workers.get(w)!);
    return Promise.all(
      live.map(async (handle) => {
        const eventLoopUtilization = handle.eventLoopUtilization();
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<void>((resolve) => {
          timer = setTimeout(() => resolve(), HEAP_ANSWER_MS);
        });
        const asked = handle.request<WorkerHeap>({ type: "heap" }).then((heap) => this.lastHeapUsed.set(handle.index, heap.heapUsed), () => undefined);
        await Promise.race([asked, late]);
        clearTimeout(timer);
        const heapUsedBytes = this.lastHeapUsed.get(handle.index);
        return { worker: handle.index, eventLoopUtilization, ...(heapUsedBytes === undefined ? {} : { heapUsedBytes }) };
      }),
    );
  }

  /** Resolves when no partition is being rebuilt (or moved, once a move has started). */
  async whenRecovered(): Promise<void> {
    await Promise.all([Promise.allSettled([...this.workerReady.values()]), this.placement.whenBuilt()]);
  }

  /** Resolves when no partition is being rebuilt or moved. */
  async whenBalanced(): Promise<void> {
    await this.whenRecovered();
    await this.placement.whenMoved();
  }

  ownerOf(jobId: string, partition: number): number | undefined {
    return this.placement.ownerOf(jobId, partition);
  }

  async close(): Promise<void> {
    this.closing = true;
    this.placement.close();
    this.maps.close();
    const standby = this.standby?.handle;
    this.standby = undefined;
    await Promise.all([...this.workers.values(), ...(standby ? [standby] : [])].map((w) => w.terminate("pool closed")));
    this.workers.clear();
    this.options.metrics?.workersLive.set(0);
  }

  /** Starts a thread; `ready` resolves once it is booted and has every job deployed. */
  private startThread(): { handle: WorkerHandle; ready: Promise<void> } {
    const index = this.nextIndex++;
    const handle = new WorkerHandle(index, (dead, reason) => this.onDeath(dead, reason), {
      onBusy: (ms) => this.options.metrics?.workerBusySeconds.inc({ worker: String(index) }, ms / 1000),
    });
    const ready = handle.ready().then(() => Promise.all([...this.deployments.values()].map((d) => this.deployOn(handle, d)))).then(() => undefined);
    ready.catch(() => undefined);
    return { handle, ready };
  }

  /** Starts a live worker: it takes map tasks once ready. */
  private spawn(): number {
    const { handle, ready } = this.startThread();
    this.enlist(handle, ready);
    return handle.index;
  }

  private enlist(handle: WorkerHandle, ready: Promise<void>): void {
    const { index } = handle;
    this.workers.set(index, handle);
    this.workerReady.set(index, ready);
    ready.then(
      () => {
        this.workerReady.delete(index);
        this.maps.pump();
        this.placement.rebalance();
      },
      () => this.workerReady.delete(index),
    );
    this.options.metrics?.workersLive.set(this.liveWorkers().length);
  }

  private spawnStandby(): void {
    if (this.closing || this.standby || (this.options.standbyWorkers ?? 1) < 1) return;
    this.standby = this.startThread();
  }

  /** Makes the standby a live worker; its index, or undefined when there is none. */
  private promoteStandby(): number | undefined {
    const standby = this.standby;
    if (!standby?.handle.alive) return undefined;
    this.standby = undefined;
    this.enlist(standby.handle, standby.ready);
    return standby.handle.index;
  }

  private deployOn(handle: WorkerHandle, d: JobDeployment): Promise<unknown> {
    return handle.request({ type: "deploy", jobId: d.jobId, definition: d.definition, partitions: d.partitions });
  }

  private onDeath(dead: WorkerHandle, reason: string): void {
    this.lastHeapUsed.delete(dead.index);
    if (this.closing) return;
    this.options.metrics?.workerRestarts.inc({ reason: workerDeathReason(reason) });
    if (this.standby?.handle === dead) {
      this.options.log?.warn({ worker: dead.index, reason, standby: true }, "worker died; booting another standby");
      this.standby = undefined;
      this.spawnStandby();
      return;
    }
    this.workers.delete(dead.index);
    const started = performance.now();
    // The standby takes the dead worker's place at once; the lost partitions are dealt across it and
    // every survivor, which rebuild them in parallel. A new thread is started only once they are
    // done (as the next standby, or as a worker if there was no standby): booting takes CPU the
    // rebuild needs. With no worker left at all, a new one boots and rebuilds.
    const promoted = this.promoteStandby();
    const owners = [...this.liveWorkers()];
    const replacement = owners.length > 0 ? undefined : this.spawn();
    const { partitionsLost, rebuilt } = this.placement.rebuildLost(dead.index, replacement === undefined ? owners : [replacement]);
    this.options.log?.warn({ worker: dead.index, reason, partitionsLost }, "worker died");
    void rebuilt.then((outcomes) => {
      const recoveryMs = performance.now() - started;
      this.options.metrics?.recoverySeconds.observe(recoveryMs / 1000);
      if (this.closing) return;
      const booted = replacement === undefined && promoted === undefined ? this.spawn() : undefined;
      const partitionsRebuilt = outcomes.filter((o) => o.status === "fulfilled").length;
      this.options.log?.info({ worker: dead.index, replacedBy: promoted ?? replacement ?? booted, partitionsRebuilt, recoveryMs: Math.round(recoveryMs) }, "worker replaced");
      // The next standby boots a little later, off the batches that catch up right after a recovery.
      if (promoted !== undefined) setTimeout(() => this.spawnStandby(), STANDBY_RESPAWN_DELAY_MS).unref();
    });
  }
}
