/**
 * Scaling: wordcount through a 1-worker pool and a 2-worker pool, on 2 cores, on the same batches.
 * Both engines are up at once and take turns of a few batches each, so a burst of load from elsewhere
 * on this shared machine, or a slower spell of its memory, lands on both sides alike instead of on
 * whichever happened to be running.
 *
 * The first batch of each turn, the one right after the other pool's turn, is not measured: it is
 * slower than the next ones, and more so on the 2-worker pool (it needs both cores at once). Taking
 * turns batch by batch gave 1.58–1.66 where turns of five batches, without their first, gave 1.75–1.85
 * on the same code, and each pool alone 1.70–1.82. A server runs one pool, so that slowdown is the
 * measuring's, not the engine's. The ratio over every batch, and both pools' times for the first
 * batch of a turn and for the others, are reported beside it.
 *
 * Throughput is what a job sustains, so the figure is taken with batches near what the engine handles
 * in one 1 s batch interval (`options.scaling`): there the work of a batch grows with its records and
 * the pool can spread it. The same ratio on the small batches of the throughput runs is reported
 * beside it: there a batch's fixed work (emitting every word of the 30 s window, the shuffle's round
 * trips) is a large share and does not shrink with more workers. Beside them, the machine's own
 * ceiling for the map work on two bare threads (machine-scaling.ts).
 */
import { runBaseline } from "./baseline.js";
import { textSource, type BatchSource } from "./corpus.js";
import { EngineSession } from "./engine-driver.js";
import { collectGarbage } from "./gc.js";
import { measureMachineScaling } from "./machine-scaling.js";
import type { BenchOptions } from "./options.js";
import type { BenchResults, ScalingFigures } from "./results.js";
import { meanBatchMs, mismatches, range, recordsPerSecOver, type RunResult } from "./run-result.js";
import { RunnerUnavailableError } from "./runners.js";
import { ratio } from "./stats.js";
import type { ThroughputRun } from "./throughput.js";

export async function measureScaling(wordcount: ThroughputRun, vocabulary: readonly string[], options: BenchOptions, failures: string[]): Promise<BenchResults["scaling"]> {
  const { recordsPerBatch, windowBatches, measuredBatches } = options.scaling;
  const source = textSource({ batches: windowBatches + measuredBatches, recordsPerBatch, vocabulary, seed: 7 });
  const baseline = runBaseline("wordcount", source, windowBatches);
  collectGarbage();
  try {
    const atCapacity = await sideBySide(source, baseline, windowBatches, options.scaling.turnBatches, options, failures);
    const machine = await measureMachineScaling(source, range(windowBatches + 1, windowBatches + 4), options.partitions, windowBatches);
    if (!options.scaling.smallBatchesToo) return { ...atCapacity, workload: "wordcount", machine };
    const small = await sideBySide(wordcount.source, wordcount.baseline, options.windowBatches, options.scaling.turnBatches, options, failures);
    return { ...atCapacity, workload: "wordcount", machine, smallBatches: small };
  } catch (error) {
    if (error instanceof RunnerUnavailableError) return { ratio: null, reason: error.message };
    throw error;
  }
}

async function sideBySide(source: BatchSource, baseline: RunResult, windowBatches: number, turnBatches: number, options: BenchOptions, failures: string[]): Promise<ScalingFigures> {
  const sessions: EngineSession[] = [];
  try {
    for (const workers of [1, 2]) sessions.push(await EngineSession.open("wordcount", { runner: "pool", workers, partitions: options.partitions, windowBatches }));
    const [one, two] = sessions as [EngineSession, EngineSession];
    // Always one then two, so that every turn but the very first follows the other pool's.
    for (let first = 1; first <= source.batches; first += turnBatches) {
      const batches = range(first, Math.min(first + turnBatches - 1, source.batches));
      for (const session of [one, two]) for (const b of batches) await session.runBatch(b, source);
    }
    const [oneRun, twoRun] = [await one.result(), await two.result()];
    for (const [workers, run] of [[1, oneRun], [2, twoRun]] as const) {
      for (const m of mismatches(baseline, run, range(1, source.batches))) failures.push(`wordcount (${source.recordsPerBatch} records a batch): engine on a ${workers}-worker pool disagrees with the baseline loop at ${m}`);
    }
    const afterWindow = range(windowBatches + 1, source.batches);
    const firsts = afterWindow.filter((b) => (b - 1) % turnBatches === 0);
    const measured = afterWindow.filter((b) => (b - 1) % turnBatches !== 0);
    const meanMs = (run: RunResult, batches: number[]) => Math.round(meanBatchMs(run, batches));
    const [oneRate, twoRate] = [recordsPerSecOver(oneRun, source, measured), recordsPerSecOver(twoRun, source, measured)];
    return {
      ratio: ratio(twoRate, oneRate),
      recordsPerBatch: source.recordsPerBatch,
      windowBatches,
      oneWorkerRecordsPerSec: Math.round(oneRate),
      twoWorkersRecordsPerSec: Math.round(twoRate),
      turnBatches,
      everyBatchRatio: ratio(recordsPerSecOver(twoRun, source, afterWindow), recordsPerSecOver(oneRun, source, afterWindow)),
      firstOfTurnMs: [meanMs(oneRun, firsts), meanMs(twoRun, firsts)],
      restOfTurnMs: [meanMs(oneRun, measured), meanMs(twoRun, measured)],
      speculativeTasks: [oneRun.speculativeTasks, twoRun.speculativeTasks],
    };
  } finally {
    for (const session of sessions) await session.close();
    collectGarbage();
  }
}
