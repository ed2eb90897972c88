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
import type { Metrics, WorkerFigures } from "../../metrics/metrics.js";
import type { Key } from "../../engine/operators/key-by.js";
import type { OperatorLog } from "../../engine/operator-log.js";
import type { JobDeployment, MapResult, MapTask, ReduceResult, ReduceTask, StateLookup, TaskRunner } from "../../engine/task-runner.js";
import { MapScheduler } from "./map-scheduler.js";
import { PartitionPlacement } from "./partition-placement.js";
import type { InjectedFault, WorkerHeap } from "./protocol.js";
import { WorkerSupervisor } from "./worker-supervisor.js";

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

/**
 * The TaskRunner facade: it keeps the deployed jobs and wires the three parts that run them, the
 * worker supervisor (threads), the map scheduler (map tasks) and the partition placement (reduce
 * partitions and every request for one).
 */
export class WorkerPool implements TaskRunner {
  private readonly deployments = new Map<string, JobDeployment>();
  private readonly supervisor: WorkerSupervisor;
  private readonly maps: MapScheduler;
  private readonly placement: PartitionPlacement;

  private constructor(options: WorkerPoolOptions) {
    this.supervisor = new WorkerSupervisor(this.deployments, options, {
      ready: () => {
        this.maps.pump();
        this.placement.rebalance();
      },
      lost: (worker, owners) => this.placement.rebuildLost(worker, owners),
    });
    this.maps = new MapScheduler(this.supervisor, (jobId) => this.deployments.has(jobId), options);
    this.placement = new PartitionPlacement(this.supervisor, this.deployments, options.metrics);
    options.metrics?.observeWorkers(() => this.figures());
  }

  static async start(options: WorkerPoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(options);
    await pool.supervisor.start();
    return pool;
  }

  /** Indexes of live workers (a replacement gets a new index). */
  liveWorkers(): number[] {
    return this.supervisor.live().map((w) => w.index);
  }

  async deploy(deployment: JobDeployment): Promise<void> {
    this.deployments.set(deployment.jobId, deployment);
    await this.supervisor.deploy(deployment);
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
    this.supervisor.undeploy(jobId);
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
    return this.supervisor.inject(worker, fault);
  }

  /**
   * Ends a worker's thread on purpose (tests, benchmarks, an operator ending a worker stuck in a task):
   * it is lost as if it had died, and replaced; what it was running runs again on the others.
   */
  terminateWorker(worker: number): Promise<void> {
    return this.supervisor.terminateWorker(worker);
  }

  /** Requests a live worker has started and not finished, as its thread counts them; 0 for no such worker. */
  runningOn(worker: number): number {
    return this.supervisor.runningOn(worker);
  }

  /** Each live worker's V8 heap as it stands (no collection forced), by worker index. */
  heaps(): Promise<Map<number, WorkerHeap>> {
    return this.supervisor.heaps();
  }

  /** For a metrics scrape: each live worker's heap in use and event-loop utilization (see WorkerSupervisor.figures). */
  figures(): Promise<WorkerFigures[]> {
    return this.supervisor.figures();
  }

  /** Resolves when no partition is being rebuilt (or moved, once a move has started). */
  async whenRecovered(): Promise<void> {
    await Promise.all([this.supervisor.whenStarted(), this.placement.whenBuilt()]);
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
    this.placement.close();
    this.maps.close();
    await this.supervisor.close();
  }
}
