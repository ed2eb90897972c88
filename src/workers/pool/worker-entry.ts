/**
 * The worker thread's entry: it holds, per job, the map stage and the reduce partitions it owns, and
 * answers the pool's requests one at a time. Nothing imports this file; the pool starts it.
 */
import { parentPort, workerData } from "node:worker_threads";
import { compileJob, type JobPlan } from "../../engine/query/compile-job.js";
import { TaskAbandonedError } from "../../engine/operators/operator.js";
import { MapStage } from "../../engine/stages/map-stage.js";
import { PartitionReducer } from "../../engine/stages/partition-reducer.js";
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

function reducer(jobId: string, partition: number): PartitionReducer {
  const found = job(jobId).reducers.get(partition);
  if (!found) throw new Error(`reduce partition ${partition} of job ${jobId} is not owned by this worker`);
  return found;
}

function handle(request: WorkerRequest): unknown {
  switch (request.type) {
    case "deploy": {
      const plan = compileJob(request.definition);
      jobs.set(request.jobId, { plan, map: new MapStage(plan, request.partitions), reducers: new Map() });
      return undefined;
    }
    case "undeploy":
      jobs.delete(request.jobId);
      return undefined;
    case "map":
      // A slowed worker blocks its thread, as a node short of CPU would.
      if (slowMs > 0) Atomics.wait(sleeper, 0, 0, slowMs);
      return job(request.task.jobId).map.run(request.task, abandonedBy(request.abandon));
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
      jobs.get(request.jobId)?.reducers.delete(request.partition);
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
  let reply: WorkerReply;
  try {
    const value = handle(request) as (WorkerReply & { ok: true })["value"];
    reply = { id: request.id, ok: true, ...(value === undefined ? {} : { value }), busyMs: performance.now() - started };
  } catch (error) {
    reply = {
      id: request.id,
      ok: false,
      error: error instanceof Error ? error.message : String(error),
      ...(error instanceof TaskAbandonedError ? { abandoned: true } : {}),
      busyMs: performance.now() - started,
    };
  }
  Atomics.add(progress, PROGRESS_FINISHED, 1);
  parentPort!.postMessage(reply, reply.ok && reply.value !== undefined ? transferablesOf(reply.value) : []);
});

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
