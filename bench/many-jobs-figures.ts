/**
 * The figures of the many-jobs and fast-batches sections, from what a step observed: the CPU the
 * process used (every thread: process.cpuUsage counts the worker threads too) over the events ingested
 * and the jobs reading them, and the p99 of the scheduling delays seen — those of the batches that ran
 * in the measured part, and, as lower bounds, those of the batches still due at its end.
 */
import { percentile, round } from "./stats.js";

export interface StepObservation {
  /** CPU microseconds the process used in the measured part (user + system, all threads). */
  readonly cpuMicros: number;
  /** Events ingested in the measured part. */
  readonly events: number;
  readonly jobs: number;
  /** Scheduling delay (ms) of every batch that started in the measured part. */
  readonly batchDelaysMs: readonly number[];
  /** At the end of the measured part, each job's age of its oldest batch due and not yet done (0: none). */
  readonly unfinishedDelaysMs: readonly number[];
}

export interface StepFigures {
  readonly cpuMicrosPerEventPerJob: number | null;
  readonly p99SchedulingDelayMs: number | null;
  /** Batches that started in the measured part. */
  readonly batches: number;
  /** Jobs with a batch due and not done at the end of the measured part. */
  readonly jobsBehind: number;
}

export function stepFigures(o: StepObservation): StepFigures {
  const delays = [...o.batchDelaysMs, ...o.unfinishedDelaysMs.filter((d) => d > 0)];
  const perEventPerJob = o.events > 0 && o.jobs > 0 ? o.cpuMicros / o.events / o.jobs : null;
  return {
    cpuMicrosPerEventPerJob: perEventPerJob === null ? null : round(perEventPerJob),
    p99SchedulingDelayMs: delays.length === 0 ? null : round(percentile(delays, 99)),
    batches: o.batchDelaysMs.length,
    jobsBehind: o.unfinishedDelaysMs.filter((d) => d > 0).length,
  };
}

/**
 * Records per ingest so that `recordsPerSec` arrive as evenly as `everyMs` allows: the i-th ingest
 * (from 0) brings the records due by its time that earlier ones did not.
 */
export function recordsDue(recordsPerSec: number, everyMs: number, i: number): number {
  return Math.floor((recordsPerSec * (i + 1) * everyMs) / 1000) - Math.floor((recordsPerSec * i * everyMs) / 1000);
}
