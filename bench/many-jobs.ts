/**
 * Many jobs on one stream, as a user gets them: the engine in this process on the wall clock, a
 * 2-worker pool, the in-memory store, one stream of 100-byte text records ingested at a fixed total
 * rate, and N identical windowed wordcount jobs (30 s window, 1 s slide) reading it, with emit "all"
 * and with emit "changes". For each step: CPU per event per job (the whole process, every thread,
 * over the measured part) and the p99 scheduling delay (how late each batch started after its batch
 * time, as the engine reports it in tributary_scheduling_delay_seconds, plus the age of any batch
 * still due at the end). "Fast batches" is the same with 100 ms batches (the window still sliding
 * every 1 s), 20 jobs.
 *
 * A step lasts less than the window, so the window fills during it and no batch leaves it: with emit
 * "changes" a slide sends the keys of the entering batch only, where a full window would also send
 * those of the leaving one.
 */
import { performance } from "node:perf_hooks";
import { SystemClock } from "../src/engine/clock.js";
import { createEngine } from "../src/engine/engine.js";
import { createMetrics } from "../src/metrics/metrics.js";
import { openMemoryStore } from "../src/store/memory/open-memory-store.js";
import { textSource, type Row } from "./corpus.js";
import { collectGarbage } from "./gc.js";
import { loadSince, sampleLoad, type MachineLoad } from "./machine-load.js";
import { recordsDue, stepFigures, type StepFigures } from "./many-jobs-figures.js";
import { createRunner, RunnerUnavailableError } from "./runners.js";
import { sleep } from "./stats.js";

export type Emit = "all" | "changes";

export interface ManyJobsOptions {
  readonly jobCounts: readonly number[];
  readonly emits: readonly Emit[];
  readonly recordsPerSec: number;
  readonly warmupMs: number;
  readonly measureMs: number;
  /** Also this many jobs with no input at all (emit "changes"): what a batch costs when it has nothing to do; 0: not run. */
  readonly idleJobs: number;
  readonly fastBatches: { readonly jobs: number; readonly batchIntervalMs: number; readonly warmupMs: number; readonly measureMs: number };
}

export interface ManyJobsRow extends StepFigures {
  readonly jobs: number;
  readonly emit: Emit;
  readonly batchIntervalMs: number;
  /** Input rate of the stream (0: the jobs' batches are all empty). */
  readonly recordsPerSec: number;
  /** Cores the process used on average in the measured part (all threads). */
  readonly cores: number;
  /** Share of the measured part the main thread's event loop was busy. */
  readonly mainThreadBusy: number;
  readonly peakRssMiB: number;
  readonly load: MachineLoad;
  readonly reason?: string;
}

export interface FastBatchesFigures {
  /** Of the emit "all" run (what a job gets by default). */
  readonly p99SchedulingDelayMs: number | null;
  readonly runs: ManyJobsRow[];
}

const WINDOW_MS = 30_000;
const SLIDE_MS = 1_000;
const INGEST_EVERY_MS = 100;
const PARTITIONS = 4;

function wordcount(id: string, batchIntervalMs: number, emit: Emit): Record<string, unknown> {
  return {
    name: id,
    input: "records",
    batchInterval: `${batchIntervalMs}ms`,
    steps: [
      { op: "flatMap", expr: "text.split(' ')", as: "word" },
      { op: "filter", where: "size(word) > 0" },
      { op: "keyBy", key: "word" },
      { op: "window", length: `${WINDOW_MS}ms`, slide: `${SLIDE_MS}ms`, emit },
      { op: "aggregate", aggs: { count: { fn: "count" } } },
    ],
  };
}

interface StepPlan {
  readonly jobs: number;
  readonly emit: Emit;
  readonly batchIntervalMs: number;
  readonly recordsPerSec: number;
  readonly warmupMs: number;
  readonly measureMs: number;
}

/** One step: a fresh engine, pool and store; N jobs; the load; the measured part; stop. */
export async function runStep(plan: StepPlan, records: readonly Row[]): Promise<ManyJobsRow> {
  const store = openMemoryStore();
  const metrics = createMetrics({ defaultMetrics: false });
  const bench = await createRunner("pool", store, { workers: 2, metrics });
  const engine = createEngine({ store, runner: bench.runner, clock: new SystemClock(), metrics, defaultPartitions: PARTITIONS });
  // Every batch observes its scheduling delay in the job's histogram: each observation is one sample.
  const delays: number[] = [];
  let measuring = false;
  const histogram = metrics.schedulingDelaySeconds;
  const observe = histogram.observe.bind(histogram) as (labels: { job_name: string }, value: number) => void;
  (histogram as { observe: unknown }).observe = (labels: { job_name: string }, value: number) => {
    if (measuring) delays.push(value * 1000);
    observe(labels, value);
  };
  let loading = true;
  let ingested = 0;
  let loadError: Error | undefined;
  let loader: Promise<void> = Promise.resolve();
  try {
    await engine.start();
    await engine.declareStream({ name: "records", partitions: PARTITIONS });
    for (let j = 0; j < plan.jobs; j++) await engine.registerJob(wordcount(`wc-${j}`, plan.batchIntervalMs, plan.emit));
    const startedAt = Date.now();
    let next = 0;
    loader = (async () => {
      for (let i = 0; loading; i++) {
        const due = startedAt + i * INGEST_EVERY_MS;
        if (due > Date.now()) await sleep(due - Date.now());
        if (!loading) return;
        const n = recordsDue(plan.recordsPerSec, INGEST_EVERY_MS, i);
        if (n === 0) continue;
        const events: Row[] = [];
        for (let k = 0; k < n; k++) events.push(records[(next + k) % records.length]!);
        next += n;
        await engine.ingest("records", events);
        ingested += n;
      }
    })().catch((error: Error) => {
      loadError = error;
    });
    await sleep(plan.warmupMs);
    const eventsBefore = ingested;
    const load = sampleLoad();
    const cpuBefore = process.cpuUsage();
    const eluBefore = performance.eventLoopUtilization();
    let peakRss = process.memoryUsage.rss();
    measuring = true;
    const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 500);
    await sleep(plan.measureMs);
    measuring = false;
    clearInterval(rssTimer);
    const cpu = process.cpuUsage(cpuBefore);
    const elu = performance.eventLoopUtilization(eluBefore);
    const machine = loadSince(load);
    const events = ingested - eventsBefore;
    const unfinished = (await engine.readerDelays("records")).map((r) => r.delayMs);
    loading = false;
    await loader;
    if (loadError) throw loadError;
    const figures = stepFigures({ cpuMicros: cpu.user + cpu.system, events, jobs: plan.jobs, batchDelaysMs: delays, unfinishedDelaysMs: unfinished });
    return {
      jobs: plan.jobs,
      emit: plan.emit,
      batchIntervalMs: plan.batchIntervalMs,
      recordsPerSec: plan.recordsPerSec,
      ...figures,
      cores: Math.round(((cpu.user + cpu.system) / 1000 / plan.measureMs) * 100) / 100,
      mainThreadBusy: Math.round(elu.utilization * 100) / 100,
      peakRssMiB: Math.round(peakRss / 2 ** 20),
      load: machine,
    };
  } finally {
    loading = false;
    await loader;
    // Deleting abandons each job at once, whatever backlog it has; stopping would run it out.
    for (let j = 0; j < plan.jobs; j++) await engine.deleteJob(`wc-${j}`).catch(() => undefined);
    await engine.stop();
    await bench.close();
    await store.close();
    collectGarbage();
  }
}

/** Ten seconds of records, cycled through by every step. */
function recordsOf(vocabulary: readonly string[], recordsPerSec: number): Row[] {
  return textSource({ batches: 1, recordsPerBatch: Math.max(1, recordsPerSec) * 10, vocabulary, seed: 23 }).batch(1).events;
}

function unmeasuredRow(plan: StepPlan, reason: string): ManyJobsRow {
  return { jobs: plan.jobs, emit: plan.emit, batchIntervalMs: plan.batchIntervalMs, recordsPerSec: plan.recordsPerSec, cpuMicrosPerEventPerJob: null, p99SchedulingDelayMs: null, batches: 0, jobsBehind: 0, cores: 0, mainThreadBusy: 0, peakRssMiB: 0, load: loadSince(sampleLoad()), reason };
}

async function runSteps(plans: readonly StepPlan[], vocabulary: readonly string[], log: (m: string) => void): Promise<ManyJobsRow[]> {
  const rows: ManyJobsRow[] = [];
  for (const plan of plans) {
    const records = recordsOf(vocabulary, plan.recordsPerSec);
    try {
      const row = await runStep(plan, records);
      log(`${plan.jobs} job(s), emit ${plan.emit}, ${plan.batchIntervalMs} ms batches, ${plan.recordsPerSec} records/s: ${row.cpuMicrosPerEventPerJob} µs/event/job, p99 delay ${row.p99SchedulingDelayMs} ms, ${row.cores} cores, main thread ${row.mainThreadBusy}, others ${row.load.otherProcessesCores} cores`);
      rows.push(row);
    } catch (error) {
      if (!(error instanceof RunnerUnavailableError)) throw error;
      rows.push(unmeasuredRow(plan, error.message));
    }
  }
  return rows;
}

export async function measureManyJobs(options: ManyJobsOptions, vocabulary: readonly string[], log: (m: string) => void): Promise<ManyJobsRow[]> {
  const step = (jobs: number, emit: Emit, recordsPerSec: number): StepPlan => ({ jobs, emit, batchIntervalMs: SLIDE_MS, recordsPerSec, warmupMs: options.warmupMs, measureMs: options.measureMs });
  const plans = options.emits.flatMap((emit) => options.jobCounts.map((jobs) => step(jobs, emit, options.recordsPerSec)));
  if (options.idleJobs > 0) plans.push(step(options.idleJobs, "changes", 0));
  return runSteps(plans, vocabulary, log);
}

export async function measureFastBatches(options: ManyJobsOptions, vocabulary: readonly string[], log: (m: string) => void): Promise<FastBatchesFigures> {
  const { jobs, batchIntervalMs, warmupMs, measureMs } = options.fastBatches;
  const runs = await runSteps(
    options.emits.map((emit) => ({ jobs, emit, batchIntervalMs, recordsPerSec: options.recordsPerSec, warmupMs, measureMs })),
    vocabulary,
    log,
  );
  return { p99SchedulingDelayMs: runs.find((r) => r.emit === "all")?.p99SchedulingDelayMs ?? null, runs };
}
