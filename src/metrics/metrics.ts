/**
 * Every Prometheus metric Tributary exports, defined in one place on one registry. Names follow
 * Prometheus conventions (`_total` counters, `_seconds` units); labels are bounded (job, stream names).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface Metrics {
  readonly registry: Registry;
  readonly eventsIngested: Counter<"stream">;
  readonly ingestRequests: Counter<"stream" | "outcome">;
  readonly batchesProcessed: Counter<"job">;
  readonly batchEvents: Counter<"job">;
  readonly batchProcessingSeconds: Histogram<"job">;
  readonly schedulingDelaySeconds: Gauge<"job">;
  readonly rowErrors: Counter<"job">;
  readonly lateEvents: Counter<"job">;
  readonly resultFrames: Counter<"job">;
  readonly stateKeys: Gauge<"job">;
  readonly subscribers: Gauge<"job">;
  readonly slowSubscribersDropped: Counter<"job">;
  readonly httpRequestSeconds: Histogram<"method" | "route" | "status">;
  readonly workerBusySeconds: Counter<"worker">;
  readonly workerTasks: Counter<"worker" | "kind">;
  readonly speculativeTasks: Counter<"outcome">;
  readonly mapTasksAbandoned: Counter;
  readonly workerRestarts: Counter<"reason">;
  readonly recoverySeconds: Histogram;
  readonly workersLive: Gauge;
}

/** A fresh registry with every metric, so tests and servers in one process never share counters. */
export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "tributary_" });
  const registers = [registry];
  return {
    registry,
    eventsIngested: new Counter({ name: "tributary_events_ingested_total", help: "Events accepted and stored, by stream", labelNames: ["stream"], registers }),
    ingestRequests: new Counter({ name: "tributary_ingest_requests_total", help: "Ingest requests by outcome (accepted, rejected, unavailable)", labelNames: ["stream", "outcome"], registers }),
    batchesProcessed: new Counter({ name: "tributary_batches_total", help: "Batches processed, by job", labelNames: ["job"], registers }),
    batchEvents: new Counter({ name: "tributary_batch_events_total", help: "Input events processed by batches, by job", labelNames: ["job"], registers }),
    batchProcessingSeconds: new Histogram({
      name: "tributary_batch_processing_seconds",
      help: "Time to process one batch, from the start of its tasks to its result frame",
      labelNames: ["job"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    schedulingDelaySeconds: new Gauge({ name: "tributary_scheduling_delay_seconds", help: "How late the last batch started after its batch time", labelNames: ["job"], registers }),
    rowErrors: new Counter({ name: "tributary_row_errors_total", help: "Rows dropped because a user expression failed on them", labelNames: ["job"], registers }),
    lateEvents: new Counter({ name: "tributary_late_events_total", help: "Events an event-time window dropped because every window they belong to had closed (later than the allowed lateness)", labelNames: ["job"], registers }),
    resultFrames: new Counter({ name: "tributary_result_frames_total", help: "Result frames produced, by job", labelNames: ["job"], registers }),
    stateKeys: new Gauge({ name: "tributary_state_keys", help: "Keys held in a job's state", labelNames: ["job"], registers }),
    subscribers: new Gauge({ name: "tributary_subscribers", help: "Live result subscribers, by job", labelNames: ["job"], registers }),
    slowSubscribersDropped: new Counter({ name: "tributary_slow_subscribers_dropped_total", help: "Subscribers disconnected because they fell too far behind", labelNames: ["job"], registers }),
    httpRequestSeconds: new Histogram({
      name: "tributary_http_request_seconds",
      help: "HTTP request duration by route and status",
      labelNames: ["method", "route", "status"],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    }),
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
  };
}
