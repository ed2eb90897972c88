/**
 * Engine throughput beside its two yardsticks, on the same batches in the same run: the hand-written
 * loop (the practical limit) and the RxJS pipeline. Every engine and RxJS answer is checked against
 * the loop's; a wrong answer is a failure, however fast.
 */
import { runBaseline } from "./baseline.js";
import { textSource, type BatchSource } from "./corpus.js";
import { runEngine, type EngineRunResult } from "./engine-driver.js";
import { collectGarbage } from "./gc.js";
import type { BenchOptions } from "./options.js";
import type { WorkloadFigures } from "./results.js";
import { mismatches, range, recordsPerSec, type RunResult } from "./run-result.js";
import { RunnerUnavailableError, type RunnerKind } from "./runners.js";
import { runRxjs } from "./rxjs-pipelines.js";
import { ratio } from "./stats.js";
import type { WorkloadName } from "./workloads.js";

export interface ThroughputRun {
  readonly figures: WorkloadFigures;
  readonly source: BatchSource;
  readonly baseline: RunResult;
  /** The runner the engine figure used; the pool when it is available. */
  readonly runner: { kind: RunnerKind; workers: number };
}

export function sourceFor(workload: WorkloadName, options: BenchOptions, vocabulary: readonly string[]): { source: BatchSource; from: number; windowBatches: number } {
  if (workload === "grep") {
    const { batches, warmupBatches, recordsPerBatch } = options.throughput.grep;
    return { source: textSource({ batches, recordsPerBatch, vocabulary }), from: warmupBatches + 1, windowBatches: 1 };
  }
  const { measuredBatches, recordsPerBatch } = options.throughput.windowed;
  const batches = options.windowBatches + measuredBatches;
  return { source: textSource({ batches, recordsPerBatch, vocabulary }), from: options.windowBatches + 1, windowBatches: options.windowBatches };
}

/** Runs the engine on the pool, or on the in-thread runner when the pool cannot be had (saying why). */
export async function runEnginePreferringPool(workload: WorkloadName, source: BatchSource, windowBatches: number, options: BenchOptions, notes: string[]) {
  try {
    const run = await runEngine(workload, source, { runner: "pool", workers: 2, partitions: options.partitions, windowBatches });
    return { run, runner: { kind: "pool" as RunnerKind, workers: 2 } };
  } catch (error) {
    if (!(error instanceof RunnerUnavailableError)) throw error;
    if (!notes.includes(error.message)) notes.push(error.message);
    const run = await runEngine(workload, source, { runner: "in-thread", partitions: options.partitions, windowBatches });
    return { run, runner: { kind: "in-thread" as RunnerKind, workers: 0 } };
  }
}

export async function measureThroughput(workload: WorkloadName, options: BenchOptions, vocabulary: readonly string[], failures: string[], notes: string[]): Promise<ThroughputRun> {
  const { source, from, windowBatches } = sourceFor(workload, options, vocabulary);
  const baseline = runBaseline(workload, source, windowBatches);
  collectGarbage();
  const rxjs = runRxjs(workload, source, windowBatches);
  collectGarbage();
  const { run: engine, runner } = await runEnginePreferringPool(workload, source, windowBatches, options, notes);
  collectGarbage();
  let inThread: EngineRunResult | undefined;
  if (options.throughput.inThreadToo && runner.kind === "pool") {
    inThread = await runEngine(workload, source, { runner: "in-thread", partitions: options.partitions, windowBatches });
    collectGarbage();
  }

  const all = range(1, source.batches);
  for (const [name, run, batches] of [
    [`engine (${runner.kind})`, engine, all],
    ["engine (in-thread)", inThread, all],
    // RxJS has no partial windows before the first full one.
    ["RxJS pipeline", rxjs, range(windowBatches, source.batches)],
  ] as const) {
    if (!run) continue;
    for (const m of mismatches(baseline, run, batches)) failures.push(`${workload}: ${name} disagrees with the baseline loop at ${m}`);
  }

  const engineRps = recordsPerSec(engine, source, from);
  const baselineRps = recordsPerSec(baseline, source, from);
  const rxjsRps = recordsPerSec(rxjs, source, from);
  return {
    source,
    baseline,
    runner,
    figures: {
      engineRecordsPerSec: Math.round(engineRps),
      baselineRecordsPerSec: Math.round(baselineRps),
      ratioToBaseline: ratio(engineRps, baselineRps),
      rxjsRecordsPerSec: Math.round(rxjsRps),
      ratioToRxjs: ratio(engineRps, rxjsRps),
      e2eRecordsPerSec: null,
      engineRunner: runner.kind === "pool" ? `pool (${runner.workers} workers)` : "in-thread",
      ...(runner.kind === "pool" ? { speculativeTasks: engine.speculativeTasks } : {}),
      ...(inThread ? { engineInThreadRecordsPerSec: Math.round(recordsPerSec(inThread, source, from)) } : {}),
      recordsPerBatch: source.recordsPerBatch,
      measuredBatches: source.batches - from + 1,
    },
  };
}
