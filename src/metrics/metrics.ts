/**
 * Every Prometheus metric Tributary exports, defined in one place on one registry. Names follow
 * Prometheus conventions (`_total` counters, `_seconds` units). Labels are bounded: `job_name` (Flink's
 * name for it, so it never collides with Prometheus's own `job` target label and needs no scrape
 * config), `stream`, and small closed sets (outcome, status, reason, worker).
 *
 * Figures that describe where a job stands now (batches waiting, delay, lag, checkpoint age, status,
 * subscribers) are read from the engine at each scrape (see refresh()); the same refresh starts every
 * counter of a known job or stream at 0 and removes the series of jobs and streams that no longer exist.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { applySnapshot, type MetricsSnapshot } from "./snapshot.js";
import { WORKER_DEATH_REASONS } from "./label-values.js";

export type { JobFigures, MetricsSnapshot } from "./snapshot.js";

export { CHECKPOINT_OUTCOMES, INGEST_ERROR_CODES, INGEST_OUTCOMES, JOB_STATUSES, SUBSCRIBER_CLOSE_REASONS, WORKER_DEATH_REASONS, workerDeathReason, type SubscriberCloseReason } from "./label-values.js";

type J = "job_name";

export interface Metrics {
  readonly registry: Registry;
  readonly eventsIngested: Counter<"stream">;
  readonly ingestRequests: Counter<"stream" | "outcome">;
  readonly ingestBodiesEncoded: Counter<"thread">;
  readonly ingestedBytes: Counter<"stream">;
  readonly ingestErrors: Counter<"stream" | "code">;
  readonly batchesProcessed: Counter<J>;
  readonly batchesFailed: Counter<J>;
  readonly batchEvents: Counter<J>;
  readonly batchProcessingSeconds: Histogram<J>;
  readonly schedulingDelaySeconds: Histogram<J>;
  readonly totalDelaySeconds: Histogram<J>;
  readonly endToEndLatencySeconds: Histogram<J>;
  readonly batchesWaiting: Gauge<J>;
  readonly jobDelaySeconds: Gauge<J>;
  readonly batchIntervalSeconds: Gauge<J>;
  readonly jobStalled: Gauge<J>;
  readonly lagEvents: Gauge<J | "stream">;
  readonly checkpointSeconds: Histogram<J>;
  readonly checkpoints: Counter<J | "outcome">;
  readonly lastCheckpointAgeSeconds: Gauge<J>;
  readonly checkpointBytes: Histogram<J>;
  readonly stateBytes: Gauge<J>;
  readonly jobStatus: Gauge<J | "status">;
  readonly rowErrors: Counter<J>;
  readonly lateEvents: Counter<J>;
  readonly watermarkLagSeconds: Gauge<J>;
  readonly resultFrames: Counter<J>;
  readonly outputRows: Counter<J>;
  readonly stateKeys: Gauge<J>;
  readonly subscribers: Gauge<J>;
  readonly slowSubscribersDropped: Counter<J>;
  readonly subscriberBufferedBytes: Gauge<J>;
  readonly subscribersClosed: Counter<J | "reason">;
  readonly httpRequestSeconds: Histogram<"method" | "route" | "status">;
  readonly storeOperationSeconds: Histogram<"operation">;
  readonly storeErrors: Counter<"operation">;
  readonly workerBusySeconds: Counter<"worker">;
  readonly workerTasks: Counter<"worker" | "kind">;
  readonly speculativeTasks: Counter<"outcome">;
  readonly mapTasksAbandoned: Counter;
  readonly workerRestarts: Counter<"reason">;
  readonly recoverySeconds: Histogram;
  readonly workersLive: Gauge;
  readonly workerHeapUsedBytes: Gauge<"worker">;
  readonly workerEventLoopUtilization: Gauge<"worker">;
  /** Sets where the engine's jobs and streams stand now is read from at each scrape. */
  observe(source: () => Promise<MetricsSnapshot>): void;
  /** Reads the engine's jobs and streams into the registry; call before exposing it. */
  /** Sets where each live worker thread's figures are read from at each scrape (the worker pool). */
  observeWorkers(source: () => Promise<readonly WorkerFigures[]>): void;
  refresh(): Promise<void>;
}

/** One live worker thread's figures at a scrape. */
export interface WorkerFigures {
  readonly worker: number;
  /** Absent until the thread has first told it. */
  readonly heapUsedBytes?: number;
  /** Share of time (0-1) its event loop was busy since the previous scrape. */
  readonly eventLoopUtilization: number;
}

/** 1 KiB to 1 GiB, by fours. */
const BYTE_BUCKETS = [1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864, 268435456, 1073741824];
const DELAY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** A fresh registry with every metric, so tests and servers in one process never share counters. */
export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry, prefix: "tributary_" });
    // Gauges named `_total` break Prometheus's naming rules (promtool check metrics); each is the
    // sum of its by-type twin (tributary_nodejs_active_handles and so on), so nothing is lost.
    for (const kind of ["handles", "requests", "resources"]) registry.removeSingleMetric(`tributary_nodejs_active_${kind}_total`);
  }
  const registers = [registry];
  const job = ["job_name"] as const;
  let source: (() => Promise<MetricsSnapshot>) | undefined;
  let workers: (() => Promise<readonly WorkerFigures[]>) | undefined;
  const metrics: Metrics = {
    registry,
    eventsIngested: new Counter({ name: "tributary_events_ingested_total", help: "Events accepted and stored, by stream", labelNames: ["stream"], registers }),
    ingestBodiesEncoded: new Counter({ name: "tributary_ingest_bodies_encoded_total", help: "Ingest bodies parsed, checked and encoded into blocks, by the thread that did it (main, ingest thread)", labelNames: ["thread"], registers }),
    ingestRequests: new Counter({ name: "tributary_ingest_requests_total", help: "Ingest requests by outcome (accepted, rejected, unavailable)", labelNames: ["stream", "outcome"], registers }),
    ingestedBytes: new Counter({ name: "tributary_ingested_bytes_total", help: "Bytes of events accepted and stored (their JSON as the stream log holds it; duplicates not counted), by stream", labelNames: ["stream"], registers }),
    ingestErrors: new Counter({ name: "tributary_ingest_errors_total", help: "Ingest requests refused, by stream and the error code answered (INVALID_EVENT, OVERLOADED, STORE_UNAVAILABLE, ...)", labelNames: ["stream", "code"], registers }),
    batchesProcessed: new Counter({ name: "tributary_batches_total", help: "Batches processed, by job", labelNames: job, registers }),
    batchesFailed: new Counter({ name: "tributary_batches_failed_total", help: "Batches that failed (the job then stops as failed), by job", labelNames: job, registers }),
    batchEvents: new Counter({ name: "tributary_batch_events_total", help: "Input events processed by batches, by job", labelNames: job, registers }),
    batchProcessingSeconds: new Histogram({
      name: "tributary_batch_processing_seconds",
      help: "Time to process one batch, from the start of its tasks to its result frame",
      labelNames: job,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    schedulingDelaySeconds: new Histogram({ name: "tributary_scheduling_delay_seconds", help: "How late each batch started after its batch time", labelNames: job, buckets: DELAY_BUCKETS, registers }),
    totalDelaySeconds: new Histogram({ name: "tributary_total_delay_seconds", help: "Scheduling delay plus processing time of each batch: from its batch time to its result", labelNames: job, buckets: DELAY_BUCKETS, registers }),
    endToEndLatencySeconds: new Histogram({
      name: "tributary_end_to_end_latency_seconds",
      help: "From the oldest event of a batch being stored to the batch's result frame being published, one observation per frame (events this server stored)",
      labelNames: job,
      buckets: DELAY_BUCKETS,
      registers,
    }),
    batchesWaiting: new Gauge({ name: "tributary_batches_waiting", help: "Batches cut and waiting to run behind the one running, by job", labelNames: job, registers }),
    jobDelaySeconds: new Gauge({ name: "tributary_job_delay_seconds", help: "Age of the job's oldest batch that is due and not yet done (0 when none is): how far behind it is now", labelNames: job, registers }),
    batchIntervalSeconds: new Gauge({ name: "tributary_batch_interval_seconds", help: "The job's batch interval: a batch processed slower than this makes the job fall behind", labelNames: job, registers }),
    jobStalled: new Gauge({ name: "tributary_job_stalled", help: "1 while the job waits out a store it cannot reach (or skipped its last checkpoint for that reason), else 0", labelNames: job, registers }),
    lagEvents: new Gauge({ name: "tributary_job_lag_events", help: "Events stored in an input stream and not yet in a cut batch of the job, by job and input stream", labelNames: ["job_name", "stream"], registers }),
    checkpointSeconds: new Histogram({ name: "tributary_checkpoint_seconds", help: "Time to write one complete checkpoint, by job", labelNames: job, buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30], registers }),
    checkpoints: new Counter({ name: "tributary_checkpoints_total", help: "Checkpoints attempted, by job and outcome (completed, failed)", labelNames: ["job_name", "outcome"], registers }),
    lastCheckpointAgeSeconds: new Gauge({ name: "tributary_last_checkpoint_age_seconds", help: "Time since the batch of the job's last complete checkpoint (since the job was created when it has none)", labelNames: job, registers }),
    checkpointBytes: new Histogram({ name: "tributary_checkpoint_bytes", help: "Size of each complete checkpoint written (the state snapshots of all the job's partitions), by job", labelNames: job, buckets: BYTE_BUCKETS, registers }),
    stateBytes: new Gauge({ name: "tributary_state_bytes", help: "Size of the job's state as its last complete checkpoint wrote it (0 for a job without state, absent before its first checkpoint)", labelNames: job, registers }),
    jobStatus: new Gauge({ name: "tributary_job_status", help: "1 for the job's status, 0 for the others (running, paused, stopped, failed)", labelNames: ["job_name", "status"], registers }),
    rowErrors: new Counter({ name: "tributary_row_errors_total", help: "Rows dropped because a user expression failed on them", labelNames: job, registers }),
    lateEvents: new Counter({ name: "tributary_late_events_total", help: "Events an event-time window dropped because every window they belong to had closed (later than the allowed lateness)", labelNames: job, registers }),
    watermarkLagSeconds: new Gauge({ name: "tributary_watermark_lag_seconds", help: "How far an event-time job's watermark trails the clock after its last batch (jobs with an eventWindow step, once an event has come)", labelNames: job, registers }),
    resultFrames: new Counter({ name: "tributary_result_frames_total", help: "Result frames produced, by job", labelNames: job, registers }),
    outputRows: new Counter({ name: "tributary_output_rows_total", help: "Rows in the result frames produced, by job", labelNames: job, registers }),
    stateKeys: new Gauge({ name: "tributary_state_keys", help: "Keys held in a job's state", labelNames: job, registers }),
    subscribers: new Gauge({ name: "tributary_subscribers", help: "Live result subscribers, by job", labelNames: job, registers }),
    slowSubscribersDropped: new Counter({ name: "tributary_slow_subscribers_dropped_total", help: "Subscribers disconnected because they fell too far behind", labelNames: job, registers }),
    subscriberBufferedBytes: new Gauge({ name: "tributary_subscriber_buffered_bytes", help: "Bytes of result frames written to the job's live subscribers' connections and not yet sent, together", labelNames: job, registers }),
    subscribersClosed: new Counter({ name: "tributary_subscribers_closed_total", help: "Live subscriptions ended, by job and reason (client closed, fell behind, stopped answering pings, job ended, server shutting down, over quota, error)", labelNames: ["job_name", "reason"], registers }),
    httpRequestSeconds: new Histogram({
      name: "tributary_http_request_seconds",
      help: "HTTP request duration by route and status",
      labelNames: ["method", "route", "status"],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    }),
    storeOperationSeconds: new Histogram({
      name: "tributary_store_operation_seconds",
      help: "Time of each call the engine makes to the store (Redis or embedded), by operation (streams.append, checkpoints.save, ...)",
      labelNames: ["operation"],
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers,
    }),
    storeErrors: new Counter({ name: "tributary_store_errors_total", help: "Calls to the store that failed (unreachable, refused), by operation; each operation from 0 once it has been called", labelNames: ["operation"], registers }),
    workerBusySeconds: new Counter({ name: "tributary_worker_busy_seconds_total", help: "Time each worker thread spent running tasks", labelNames: ["worker"], registers }),
    workerTasks: new Counter({ name: "tributary_worker_tasks_total", help: "Tasks run, by worker and kind (map, reduce, rebuild, move)", labelNames: ["worker", "kind"], registers }),
    speculativeTasks: new Counter({ name: "tributary_speculative_tasks_total", help: "Speculative copies of slow map tasks, by whether the copy finished first (won) or not (lost)", labelNames: ["outcome"], registers }),
    mapTasksAbandoned: new Counter({ name: "tributary_map_tasks_abandoned_total", help: "Map tasks (originals or speculative copies) stopped early because their twin finished first", registers }),
    workerRestarts: new Counter({ name: "tributary_worker_restarts_total", help: "Worker threads replaced after dying, by reason", labelNames: ["reason"], registers }),
    recoverySeconds: new Histogram({
      name: "tributary_recovery_seconds",
      help: "Time from a worker's death until every partition it owned was rebuilt on live workers",
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers,
    }),
    workersLive: new Gauge({ name: "tributary_workers_live", help: "Worker threads alive now", registers }),
    workerHeapUsedBytes: new Gauge({ name: "tributary_worker_heap_used_bytes", help: "V8 heap in use in each live worker thread (live objects and garbage not yet collected)", labelNames: ["worker"], registers }),
    workerEventLoopUtilization: new Gauge({ name: "tributary_worker_event_loop_utilization", help: "Share of time (0-1) each live worker thread's event loop was busy since the previous scrape", labelNames: ["worker"], registers }),
    observe(next) {
      source = next;
    },
    observeWorkers(next) {
      workers = next;
    },
    async refresh() {
      const [snapshot, threads] = await Promise.all([source?.(), workers?.()]);
      if (snapshot) await applySnapshot(metrics, snapshot);
      if (threads) applyWorkerFigures(metrics, threads);
    },
  };
  for (const reason of WORKER_DEATH_REASONS) metrics.workerRestarts.inc({ reason }, 0);
  for (const outcome of ["won", "lost"]) metrics.speculativeTasks.inc({ outcome }, 0);
  metrics.mapTasksAbandoned.inc(0);
  return metrics;
}

/** The gauges of the live worker threads, afresh: a thread that died has no series left. */
function applyWorkerFigures(metrics: Metrics, threads: readonly WorkerFigures[]): void {
  metrics.workerHeapUsedBytes.reset();
  metrics.workerEventLoopUtilization.reset();
  for (const thread of threads) {
    const worker = String(thread.worker);
    metrics.workerEventLoopUtilization.set({ worker }, thread.eventLoopUtilization);
    if (thread.heapUsedBytes !== undefined) metrics.workerHeapUsedBytes.set({ worker }, thread.heapUsedBytes);
  }
}
