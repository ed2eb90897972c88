/**
 * Where a job's map tasks (stateless) run: one queue that each worker pulls from when it has no map
 * task running, a speculative copy of a straggler on an idle worker (the first result wins), a task
 * lost with its worker run again on whoever is left, and a removed job's tasks abandoned.
 */
import type { Metrics } from "../../metrics/metrics.js";
import { TaskAbandonedError } from "../../engine/operators/operator.js";
import type { MapResult, MapTask } from "../../engine/task-runner.js";
import { BatchTasks, type RunningTask } from "./speculation.js";
import { WorkerLostError } from "./worker-handle.js";
import type { WorkerRoster } from "./worker-roster.js";

export interface MapSchedulerOptions {
  readonly metrics?: Metrics;
  /** A map task slower than this multiple of its batch's median gets a speculative copy (0: never). */
  readonly speculationMultiplier?: number;
  /** Ignore stragglers shorter than this, where timing noise dominates. */
  readonly speculationMinimumMs?: number;
}

/** A map task (or its speculative copy) waiting for a free worker. */
interface QueuedMap {
  readonly task: MapTask;
  /** Shared with the task's other copy: set to 1 once either has finished. */
  readonly abandon: SharedArrayBuffer;
  readonly exclude: number | undefined;
  readonly onDispatch: (worker: number) => void;
  readonly unneeded: () => boolean;
  readonly resolve: (value: { result: MapResult; worker: number }) => void;
  readonly reject: (error: Error) => void;
}

/** A map task as speculation sees it: where it runs, and how to start its copy. */
type SpeculableTask = RunningTask & { copy?: () => void; worker?: number };

export class MapScheduler {
  private readonly batches = new Map<string, BatchTasks>();
  private readonly queue: QueuedMap[] = [];
  /** Workers running a map task now, and the task each runs. */
  private readonly mapping = new Map<number, QueuedMap>();
  private readonly speculationTimer: NodeJS.Timeout;

  /** `deployed`: whether a job is still deployed (a task lost with its worker runs again only then). */
  constructor(
    private readonly roster: WorkerRoster,
    private readonly deployed: (jobId: string) => boolean,
    private readonly options: MapSchedulerOptions,
  ) {
    this.speculationTimer = setInterval(() => this.speculate(), 10);
    this.speculationTimer.unref();
  }

  map(task: MapTask): Promise<MapResult> {
    const batchKey = `${task.jobId}@${task.batchTime}`;
    const batch = this.batches.get(batchKey) ?? new BatchTasks();
    this.batches.set(batchKey, batch);
    const running: SpeculableTask = { startedAt: undefined, speculated: false };
    batch.running.add(running);
    // Set once the task is settled, so that the copy still running (original or speculative) stops early.
    const abandon = new SharedArrayBuffer(4);
    return new Promise<MapResult>((resolve, reject) => {
      let settled = false;
      const attempt = (exclude: number | undefined, speculative: boolean) => {
        const onDispatch = (worker: number) => {
          if (speculative) return;
          running.worker = worker;
          running.startedAt = performance.now();
        };
        this.run(task, abandon, exclude, onDispatch, () => speculative && settled).then(
          ({ result, worker }) => {
            if (speculative) this.options.metrics?.speculativeTasks.inc({ outcome: settled ? "lost" : "won" });
            if (settled) return;
            settled = true;
            if (running.speculated) Atomics.store(new Int32Array(abandon), 0, 1);
            batch.running.delete(running);
            batch.durations.push(performance.now() - (running.startedAt ?? performance.now()));
            if (batch.running.size === 0) this.batches.delete(batchKey);
            this.options.metrics?.workerTasks.inc({ worker: String(worker), kind: "map" });
            resolve(result);
          },
          (error: Error) => {
            if (error instanceof TaskAbandonedError) this.options.metrics?.mapTasksAbandoned.inc();
            // A copy that failed once its twin had won was abandoned (or never needed): it lost.
            if (speculative && settled) this.options.metrics?.speculativeTasks.inc({ outcome: "lost" });
            if (settled) return;
            settled = true;
            batch.running.delete(running);
            if (batch.running.size === 0) this.batches.delete(batchKey);
            reject(error);
          },
        );
      };
      running.copy = () => attempt(running.worker, true);
      attempt(undefined, false);
    });
  }

  /**
   * Drops a removed job's map tasks: those still queued are refused, those running stop at their next
   * row (TaskAbandonedError).
   */
  abandonJob(jobId: string): void {
    for (const item of this.queue.filter((queued) => queued.task.jobId === jobId)) {
      this.queue.splice(this.queue.indexOf(item), 1);
      item.reject(new TaskAbandonedError(`job ${jobId} was removed`));
    }
    for (const item of this.mapping.values()) if (item.task.jobId === jobId) Atomics.store(new Int32Array(item.abandon), 0, 1);
  }

  /**
   * Hands queued tasks to the workers that are free: call when a worker may have become free (one
   * finished booting). Map tasks wait in one queue and each worker takes the next when it has no map
   * task running (pull, not push): a slow worker then holds one task at a time, the others take the
   * rest, and the reduce tasks it owns are not stuck behind a queue of its map tasks.
   */
  pump(): void {
    // The free workers are found once a pump (not once per queued task: with hundreds of jobs the
    // queue is long, and a pump runs every time a task finishes); the scan ends when none is left.
    const live = this.roster.live();
    const free = live.filter((w) => this.roster.whenReady(w.index) === undefined && !this.mapping.has(w.index));
    for (let i = 0; i < this.queue.length && free.length > 0; ) {
      const item = this.queue[i]!;
      if (item.unneeded()) {
        // A speculative copy whose original finished while it waited.
        this.queue.splice(i, 1);
        item.reject(new Error("speculative copy not needed"));
        continue;
      }
      const worker = free.find((w) => w.index !== item.exclude) ?? (live.length === 1 ? free[0] : undefined);
      if (!worker) {
        i++;
        continue;
      }
      free.splice(free.indexOf(worker), 1);
      this.queue.splice(i, 1);
      this.mapping.set(worker.index, item);
      item.onDispatch(worker.index);
      worker.request<MapResult>({ type: "map", task: item.task, abandon: item.abandon }).then(
        (result) => {
          this.mapping.delete(worker.index);
          item.resolve({ result, worker: worker.index });
          this.pump();
        },
        (error: Error) => {
          this.mapping.delete(worker.index);
          // Run it on whoever is left, unless its job was removed meanwhile.
          if (error instanceof WorkerLostError && this.deployed(item.task.jobId)) this.queue.push({ ...item, exclude: undefined });
          else item.reject(error);
          this.pump();
        },
      );
    }
  }

  /** Stops speculating; the tasks under way settle as their workers answer or are lost. */
  close(): void {
    clearInterval(this.speculationTimer);
  }

  private run(task: MapTask, abandon: SharedArrayBuffer, exclude: number | undefined, onDispatch: (worker: number) => void, unneeded: () => boolean): Promise<{ result: MapResult; worker: number }> {
    return new Promise((resolve, reject) => {
      this.queue.push({ task, abandon, exclude, onDispatch, unneeded, resolve, reject });
      this.pump();
    });
  }

  /**
   * Copies a straggling map task onto an idle worker. Only idle capacity is used: a task that is slow
   * because its worker is queued behind other work would not finish sooner elsewhere, and a copy on a
   * busy worker would only slow the batch down (on two cores that is most of the time).
   */
  private speculate(): void {
    const multiplier = this.options.speculationMultiplier ?? 1.4;
    if (multiplier <= 0 || this.roster.live().length < 2) return;
    const now = performance.now();
    for (const batch of this.batches.values()) {
      for (const task of batch.stragglers(now, multiplier, this.options.speculationMinimumMs ?? 20)) {
        const running = task as SpeculableTask;
        const idle = this.roster.live().some((w) => !this.mapping.has(w.index) && w.index !== running.worker && this.roster.whenReady(w.index) === undefined);
        if (!idle) return;
        task.speculated = true;
        running.copy?.();
      }
    }
  }
}
