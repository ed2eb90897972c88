/**
 * The pool's worker threads and their lives: it starts them (each with every job deployed before it
 * takes work), keeps a standby thread booted, and when a worker dies (its thread exits or throws, or
 * it is ended on purpose) puts the standby in its place, has its partitions rebuilt on the live
 * workers, and boots the next thread once they are. A worker that is only slow (a costly task, a
 * machine short of CPU) is never taken for a dead one: see WorkerHandle. It also reads each thread's
 * heap and event-loop figures for a metrics scrape.
 */
import { workerDeathReason, type Metrics, type WorkerFigures } from "../../metrics/metrics.js";
import type { OperatorLog } from "../../engine/operator-log.js";
import type { JobDeployment } from "../../engine/task-runner.js";
import type { InjectedFault, WorkerHeap } from "./protocol.js";
import { unlessLost, WorkerHandle } from "./worker-handle.js";
import type { WorkerRoster } from "./worker-roster.js";

export interface WorkerSupervisorOptions {
  /** Worker threads; default one per core. */
  readonly workers: number;
  readonly metrics?: Metrics;
  /**
   * Threads kept booted with every job deployed but owning nothing and running no task (0 or 1;
   * default 1): a dead worker's place is taken at once, without waiting for a thread to boot.
   */
  readonly standbyWorkers?: number;
  /** Where a worker's death and its replacement are told (default: nowhere). */
  readonly log?: OperatorLog;
}

/** What the supervisor tells the rest of the pool. */
export interface WorkerEvents {
  /** A worker is booted with every job deployed: it may take map tasks, and partitions may move to it. */
  readonly ready: () => void;
  /**
   * A worker was lost: deal its partitions across `owners` and rebuild them there. Returns how many it
   * owned, and each rebuild's outcome once all have settled.
   */
  readonly lost: (worker: number, owners: readonly number[]) => { partitionsLost: number; rebuilt: Promise<PromiseSettledResult<void>[]> };
}

/** How long after a recovery the next standby thread starts booting. */
const STANDBY_RESPAWN_DELAY_MS = 2000;

/** How long a metrics scrape waits for a worker to tell its heap (see figures()). */
const HEAP_ANSWER_MS = 250;

export class WorkerSupervisor implements WorkerRoster {
  private readonly workers = new Map<number, WorkerHandle>();
  /** Resolves once a worker is started and has every job deployed. */
  private readonly workerReady = new Map<number, Promise<void>>();
  private nextIndex = 0;
  private closing = false;
  /** The standby thread (see WorkerSupervisorOptions.standbyWorkers), and when it is booted and deployed. */
  private standby: { readonly handle: WorkerHandle; readonly ready: Promise<void> } | undefined;
  /** Each live worker's heap in use as it last answered (see figures()). */
  private readonly lastHeapUsed = new Map<number, number>();

  /** `deployments`: every job deployed now; a thread deploys them all as it boots. */
  constructor(
    private readonly deployments: ReadonlyMap<string, JobDeployment>,
    private readonly options: WorkerSupervisorOptions,
    private readonly events: WorkerEvents,
  ) {}

  /** Starts the workers and the standby; resolves once they are booted. */
  async start(): Promise<void> {
    for (let i = 0; i < this.options.workers; i++) this.spawn();
    this.spawnStandby();
    await Promise.all([...this.workerReady.values(), this.standby?.ready]);
  }

  live(): WorkerHandle[] {
    return [...this.workers.values()].filter((w) => w.alive);
  }

  worker(index: number): WorkerHandle | undefined {
    return this.workers.get(index);
  }

  whenReady(index: number): Promise<void> | undefined {
    return this.workerReady.get(index);
  }

  /** Resolves when no worker is booting. */
  async whenStarted(): Promise<void> {
    await Promise.allSettled([...this.workerReady.values()]);
  }

  /** Deploys a job (already among `deployments`) on every thread, the standby too. */
  async deploy(deployment: JobDeployment): Promise<void> {
    const standby = this.standby;
    // A standby still booting deploys every job once booted; one already booted gets this one now.
    void standby?.ready
      .then(() => (this.deployments.get(deployment.jobId) === deployment ? this.deployOn(standby.handle, deployment) : undefined))
      .catch(() => undefined);
    // A worker lost meanwhile is no failure of the deployment: its replacement deploys every job as it
    // boots, and the partitions it was given are rebuilt on the others (onDeath).
    await Promise.all(this.live().map((w) => this.deployOn(w, deployment).catch(unlessLost)));
  }

  /** Tells every thread, the standby too, to drop a job once done with the request in hand; not waited for. */
  undeploy(jobId: string): void {
    const handles = [...this.live(), ...(this.standby ? [this.standby.handle] : [])];
    for (const handle of handles) void handle.request({ type: "undeploy", jobId }).catch(() => undefined);
  }

  /** Fault injection (tests, benchmarks): slow a worker's map tasks, or crash it. */
  inject(worker: number, fault: InjectedFault): Promise<unknown> {
    const handle = this.workers.get(worker);
    if (!handle) throw new Error(`no live worker ${worker}`);
    return handle.request({ type: "inject", fault }).catch(() => undefined);
  }

  /** Ends a worker's thread on purpose: it is lost as if it had died, and replaced. */
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
    const live = this.live();
    const heaps = await Promise.all(live.map((handle) => handle.request<WorkerHeap>({ type: "heap" })));
    return new Map(live.map((handle, i) => [handle.index, heaps[i]!]));
  }

  /**
   * For a metrics scrape: each live worker's heap in use and event-loop utilization since the previous
   * scrape. A worker busy with a long task answers the heap request only after it; past HEAP_ANSWER_MS
   * its heap as last answered is given instead (none before its first answer).
   */
  async figures(): Promise<WorkerFigures[]> {
    const live = this.live();
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

  /** Ends every thread; none is replaced from now on. */
  async close(): Promise<void> {
    this.closing = true;
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
        this.events.ready();
      },
      () => this.workerReady.delete(index),
    );
    this.options.metrics?.workersLive.set(this.live().length);
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
    const owners = this.live().map((w) => w.index);
    const replacement = owners.length > 0 ? undefined : this.spawn();
    const { partitionsLost, rebuilt } = this.events.lost(dead.index, replacement === undefined ? owners : [replacement]);
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
