/**
 * Where the engine's jobs and streams stand at a scrape, and how that is written into the registry:
 * the gauges of "now" are set afresh, every counter of a known job or stream starts at 0, and the
 * series of a job or stream that no longer exists are removed.
 */
import type { Counter, Gauge, Histogram } from "prom-client";
import { CHECKPOINT_OUTCOMES, INGEST_ERROR_CODES, INGEST_OUTCOMES, JOB_STATUSES, SUBSCRIBER_CLOSE_REASONS } from "./label-values.js";
import type { Metrics } from "./metrics.js";

/** One job's figures at a scrape. Those of a job not running on this node are absent (undefined). */
export interface JobFigures {
  readonly name: string;
  readonly status: (typeof JOB_STATUSES)[number];
  readonly batchesWaiting?: number;
  readonly delaySeconds?: number;
  readonly batchIntervalSeconds?: number;
  /** Whether the job waits out a store it cannot reach. */
  readonly stalled?: boolean;
  /** Events not yet in a cut batch, per input stream. */
  readonly lag?: ReadonlyMap<string, number>;
  readonly lastCheckpointAgeSeconds?: number;
  readonly subscribers: number;
  /** Bytes waiting in the live subscribers' connections, together. */
  readonly subscriberBufferedBytes: number;
}

export interface MetricsSnapshot {
  readonly jobs: readonly JobFigures[];
  readonly streams: readonly string[];
}

/** A stream label value kept whatever the catalogue holds: ingests to streams that do not exist. */
export const UNKNOWN_STREAM = "(unknown)";

export async function applySnapshot(metrics: Metrics, snapshot: MetricsSnapshot): Promise<void> {
  const jobs = new Set(snapshot.jobs.map((j) => j.name));
  const streams = new Set([...snapshot.streams, UNKNOWN_STREAM]);
  const perJob = [metrics.batchesProcessed, metrics.batchesFailed, metrics.batchEvents, metrics.rowErrors, metrics.lateEvents, metrics.resultFrames, metrics.outputRows, metrics.slowSubscribersDropped];
  const histograms = [metrics.batchProcessingSeconds, metrics.schedulingDelaySeconds, metrics.totalDelaySeconds, metrics.endToEndLatencySeconds, metrics.checkpointSeconds, metrics.checkpointBytes];
  for (const metric of [...perJob, metrics.checkpoints, metrics.subscribersClosed, metrics.stateKeys, metrics.stateBytes, metrics.watermarkLagSeconds]) await removeUnknown(metric, "job_name", jobs);
  // zero() would also clear what a histogram holds: only a job it has no series for yet starts at 0.
  const observed = await Promise.all(histograms.map((histogram) => removeUnknown(histogram, "job_name", jobs)));
  for (const metric of [metrics.eventsIngested, metrics.ingestRequests, metrics.ingestedBytes, metrics.ingestErrors]) await removeUnknown(metric, "stream", streams);

  const nowGauges = [metrics.batchesWaiting, metrics.jobDelaySeconds, metrics.batchIntervalSeconds, metrics.jobStalled, metrics.lagEvents, metrics.lastCheckpointAgeSeconds, metrics.jobStatus, metrics.subscribers, metrics.subscriberBufferedBytes];
  for (const gauge of nowGauges) gauge.reset();
  for (const job of snapshot.jobs) {
    const job_name = job.name;
    for (const counter of perJob) counter.inc({ job_name }, 0);
    for (const outcome of CHECKPOINT_OUTCOMES) metrics.checkpoints.inc({ job_name, outcome }, 0);
    histograms.forEach((histogram, i) => observed[i]!.has(job_name) || histogram.zero({ job_name }));
    for (const status of JOB_STATUSES) metrics.jobStatus.set({ job_name, status }, status === job.status ? 1 : 0);
    metrics.subscribers.set({ job_name }, job.subscribers);
    metrics.subscriberBufferedBytes.set({ job_name }, job.subscriberBufferedBytes);
    for (const reason of SUBSCRIBER_CLOSE_REASONS) metrics.subscribersClosed.inc({ job_name, reason }, 0);
    if (job.batchesWaiting !== undefined) metrics.batchesWaiting.set({ job_name }, job.batchesWaiting);
    if (job.delaySeconds !== undefined) metrics.jobDelaySeconds.set({ job_name }, job.delaySeconds);
    if (job.batchIntervalSeconds !== undefined) metrics.batchIntervalSeconds.set({ job_name }, job.batchIntervalSeconds);
    if (job.stalled !== undefined) metrics.jobStalled.set({ job_name }, job.stalled ? 1 : 0);
    if (job.lastCheckpointAgeSeconds !== undefined) metrics.lastCheckpointAgeSeconds.set({ job_name }, job.lastCheckpointAgeSeconds);
    for (const [stream, events] of job.lag ?? []) metrics.lagEvents.set({ job_name, stream }, events);
  }
  for (const stream of snapshot.streams) {
    metrics.eventsIngested.inc({ stream }, 0);
    metrics.ingestedBytes.inc({ stream }, 0);
    for (const code of INGEST_ERROR_CODES) metrics.ingestErrors.inc({ stream, code }, 0);
    for (const outcome of INGEST_OUTCOMES) metrics.ingestRequests.inc({ stream, outcome }, 0);
  }
}

type Labelled = Counter<string> | Gauge<string> | Histogram<string>;

/** Removes every series whose `label` names something that no longer exists; the values kept. */
async function removeUnknown(metric: Labelled, label: string, known: ReadonlySet<string>): Promise<Set<string>> {
  const gone = new Map<string, Record<string, string | number>>();
  const kept = new Set<string>();
  for (const { labels } of (await metric.get()).values) {
    const value = labels[label];
    if (value === undefined) continue;
    if (known.has(String(value))) {
      kept.add(String(value));
      continue;
    }
    const { le: _bucket, ...series } = labels as Record<string, string | number>;
    gone.set(JSON.stringify(series), series);
  }
  for (const series of gone.values()) metric.remove(series);
  return kept;
}
