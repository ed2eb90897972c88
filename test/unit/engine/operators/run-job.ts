/** Runs a job's steps over batches with JobPipeline, as the table and property tests do. */
import { JobPipeline, type BatchOutput } from "../../../../src/engine/job-pipeline.js";
import { compileJob } from "../../../../src/engine/query/compile-job.js";

export type Row = Record<string, unknown>;

export interface RunOptions {
  partitions?: number;
  batchInterval?: string;
  errors?: { count: number; last?: string };
}

/** Batch i has batchTime (i + 1) * interval, as the scheduler would give it. */
export function runJob(steps: unknown[], batches: Row[][], options: RunOptions = {}): (BatchOutput | null)[] {
  const plan = compileJob({ name: "t", input: "s", batchInterval: options.batchInterval ?? "1s", steps });
  const pipeline = new JobPipeline(plan, options.partitions ?? 1);
  const errors = options.errors ?? { count: 0 };
  return batches.map((events, i) => pipeline.process((i + 1) * plan.batchInterval.ms, events, errors));
}

/**
 * Runs a job that reads several streams: `batches[i][n]` are batch i's events of input n (the job's
 * own input "s", then the `with` inputs of its union, join or cogroup).
 */
export function runJobInputs(steps: unknown[], batches: Row[][][], options: RunOptions = {}): (BatchOutput | null)[] {
  const plan = compileJob({ name: "t", input: "s", batchInterval: options.batchInterval ?? "1s", steps });
  const pipeline = new JobPipeline(plan, options.partitions ?? 1);
  const errors = options.errors ?? { count: 0 };
  return batches.map((inputs, i) => pipeline.processInputs((i + 1) * plan.batchInterval.ms, inputs, errors));
}

export const rowsOf = (outputs: (BatchOutput | null)[]) => outputs.map((o) => (o === null ? null : o.rows));
export const asMultiset = (rows: Row[]) => rows.map((r) => JSON.stringify(r)).sort();

/**
 * The order in which a batch's rows reach a keyed step over `partitions` input partitions when
 * JobPipeline deals them round-robin: partition 0's rows, then partition 1's, ... ("arrival order").
 */
export function arrivalOrder<T>(rows: readonly T[], partitions: number): T[] {
  const dealt: T[][] = Array.from({ length: partitions }, () => []);
  rows.forEach((row, i) => dealt[i % partitions]!.push(row));
  return dealt.flat();
}
