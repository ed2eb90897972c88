/**
 * The worker thread's entry: it holds, per job, the map stage and the reduce partitions it owns, and
 * answers the pool's requests in the order they come. A map task runs in slices of a few milliseconds
 * and lets the requests that came meanwhile (other jobs' reduce tasks, snapshots, state lookups) be
 * answered between them, so one job's costly task does not hold up the partitions of every other job
 * this worker owns. Nothing imports this file; the pool starts it.
 */
import { parentPort, workerData } from "node:worker_threads";
import { compileJob, type JobPlan } from "../../engine/query/compile-job.js";
import { TaskAbandonedError } from "../../engine/operators/operator.js";
import { MapStage, type MapRun } from "../../engine/stages/map-stage.js";
import { PartitionReducer } from "../../engine/stages/partition-reducer.js";
import { collectAfterDrop } from "../../engine/idle-collection.js";
import { PROGRESS_FINISHED, PROGRESS_STARTED, type WorkerData, type WorkerReply, type WorkerRequest } from "./protocol.js";

interface JobOnWorker {
  readonly plan: JobPlan;
  readonly map: MapStage;
  readonly reducers: Map<number, PartitionReducer>;
}

const jobs = new Map<string, JobOnWorker>();
let slowMs = 0;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const progress = new Int32Array((workerData as WorkerData).progress);

function job(jobId: string): JobOnWorker {
  const found = jobs.get(jobId);
  if (!found) throw new Error(`job ${jobId} is not deployed on this worker`);
  return found;
}

/** Reads the pool's flag for a map task: set once its speculative twin finished first. */
function abandonedBy(flag: SharedArrayBuffer | undefined): (() => boolean) | undefined {
  if (!flag) return undefined;
  const view = new Int32Array(flag);
  return () => Atomics.load(view, 0) === 1;
}

/** How long a map task runs before the worker looks at its other requests. */
const MAP_SLICE_MS = 5;

/** Runs a map task in slices and answers request `id` once it is done (or has failed). */
async function answerInSlices(id: number, run: MapRun, busyMs: number): Promise<void> {
  for (;;) {
    const started = performance.now();
    const until = started + MAP_SLICE_MS;
    try {
      const done = run.advance(() => performance.now() < until);
      if (done) return answer({ id, ok: true, value: run.result(), busyMs: busyMs + performance.now() - started });
    } catch (error) {
      return answer(failure(id, error, busyMs + performance.now() - started));
    }
    busyMs += performance.now() - started;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function reducer(jobId: string, partition: number): PartitionReducer {
  const found = job(jobId).reducers.get(partition);
  if (!found) throw new Error(`reduce partition ${partition} of job ${jobId} is not owned by this worker`);
  return found;
}

/** A request answered over several turns of the thread's event loop. */
class Sliced {
  constructor(readonly run: MapRun) {}
}

function handle(request: WorkerRequest): unknown {
  switch (request.type) {
    case "deploy": {
      const plan = compileJob(request.definition);
      jobs.set(request.jobId, { plan, map: new MapStage(plan, request.partitions), reducers: new Map() });
      return undefined;
    }
    case "undeploy":
      if (jobs.delete(request.jobId)) collectAfterDrop();
      return undefined;
    case "map":
      // A slowed worker blocks its thread, as a node short of CPU would.
      if (slowMs > 0) Atomics.wait(sleeper, 0, 0, slowMs);
      return new Sliced(job(request.task.jobId).map.start(request.task, abandonedBy(request.abandon)));
    case "reduce":
      return reducer(request.task.jobId, request.task.partition).run(request.task);
    case "rebuild": {
      const owner = job(request.jobId);
      const rebuilt = new PartitionReducer(owner.plan, request.partition);
      if (request.snapshot) rebuilt.restore(request.snapshot);
      for (const task of request.tasks) rebuilt.run(task);
      owner.reducers.set(request.partition, rebuilt);
      return undefined;
    }
    case "release":
      if (jobs.get(request.jobId)?.reducers.delete(request.partition)) collectAfterDrop();
      return undefined;
    case "snapshot":
      return reducer(request.jobId, request.partition).snapshot();
    case "lookup":
      return reducer(request.jobId, request.partition).lookup(request.key);
    case "restore":
      reducer(request.jobId, request.partition).restore(request.snapshot);
      return undefined;
    case "ping":
      return undefined;
    case "heap": {
      const { heapUsed, heapTotal } = process.memoryUsage();
      return { heapUsed, heapTotal };
    }
    case "inject":
      if (request.fault.kind === "slow") slowMs = request.fault.delayMs;
      if (request.fault.kind === "crash") setImmediate(() => {
        throw new Error("injected crash");
      });
      return undefined;
  }
}

parentPort!.on("message", (request: WorkerRequest) => {
  Atomics.add(progress, PROGRESS_STARTED, 1);
  const started = performance.now();
  try {
    const value = handle(request);
    if (value instanceof Sliced) {
      void answerInSlices(request.id, value.run, performance.now() - started);
      return;
    }
    answer({ id: request.id, ok: true, ...(value === undefined ? {} : { value: value as (WorkerReply & { ok: true })["value"] }), busyMs: performance.now() - started });
  } catch (error) {
    answer(failure(request.id, error, performance.now() - started));
  }
});

function failure(id: number, error: unknown, busyMs: number): WorkerReply {
  return {
    id,
    ok: false,
    error: error instanceof Error ? error.message : String(error),
    ...(error instanceof TaskAbandonedError ? { abandoned: true } : {}),
    busyMs,
  };
}

function answer(reply: WorkerReply): void {
  Atomics.add(progress, PROGRESS_FINISHED, 1);
  parentPort!.postMessage(reply, reply.ok && reply.value !== undefined ? transferablesOf(reply.value) : []);
}

/**
 * The buffers of a reply's packed data (map shares or rows, reduce rows, a snapshot), moved to the
 * pool rather than copied. Only buffers a single view spans whole: those are the reply's own.
 */
function transferablesOf(value: unknown): ArrayBuffer[] {
  const views: unknown[] = value instanceof Uint8Array ? [value] : [(value as { rows?: unknown }).rows, ...((value as { shares?: unknown[] }).shares ?? [])];
  const buffers = new Set<ArrayBuffer>();
  for (const view of views) {
    if (view instanceof Uint8Array && view.buffer instanceof ArrayBuffer && view.byteOffset === 0 && view.byteLength === view.buffer.byteLength) buffers.add(view.buffer);
  }
  return [...buffers];
}
