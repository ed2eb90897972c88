/**
 * Stragglers (the paper's speculative execution): the same wordcount batches through a 2-worker pool
 * with no slow worker, with one worker slowed down and speculation off, and with it slowed and
 * speculation on. Each map task on the slowed worker sleeps (its thread blocked, as on a node short
 * of CPU) for about a normal batch's time. The paper: 0.55 s normal, 3.02 s slowed, 1.00 s with
 * speculation; the target is slowed-with-speculation under 2x normal.
 */
import { runEngine } from "./engine-driver.js";
import { collectGarbage } from "./gc.js";
import type { BenchOptions } from "./options.js";
import { mismatches, range } from "./run-result.js";
import { ratio } from "./stats.js";
import type { ThroughputRun } from "./throughput.js";

export interface StragglerFigures {
  normalMsPerBatch: number | null;
  slowedMsPerBatch: number | null;
  speculatedMsPerBatch: number | null;
  /** slowed with speculation ÷ normal (target < 2). */
  ratio: number | null;
  slowTaskDelayMs?: number;
  speculativeTasks?: number;
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

export async function measureStragglers(wordcount: ThroughputRun, options: BenchOptions, failures: string[]): Promise<StragglerFigures> {
  const { source, baseline } = wordcount;
  const from = options.windowBatches + 1;
  const common = { runner: "pool" as const, workers: 2, partitions: options.partitions, windowBatches: options.windowBatches };
  const timed = async (extra: { speculationMultiplier?: number; slowWorkerMs?: number }, label: string) => {
    const run = await runEngine("wordcount", source, { ...common, ...extra });
    for (const m of mismatches(baseline, run, range(1, source.batches))) failures.push(`wordcount (${label}) disagrees with the baseline loop at ${m}`);
    collectGarbage();
    return { ms: mean(run.batchMs.slice(from).filter((v) => v !== undefined)), speculative: run.speculativeTasks };
  };
  const normal = await timed({ speculationMultiplier: 0 }, "no straggler");
  const delay = Math.max(20, Math.round(normal.ms));
  const slowed = await timed({ speculationMultiplier: 0, slowWorkerMs: delay }, "slowed worker, no speculation");
  const speculated = await timed({ slowWorkerMs: delay }, "slowed worker, speculation");
  return {
    normalMsPerBatch: Math.round(normal.ms * 10) / 10,
    slowedMsPerBatch: Math.round(slowed.ms * 10) / 10,
    speculatedMsPerBatch: Math.round(speculated.ms * 10) / 10,
    ratio: ratio(speculated.ms, normal.ms),
    slowTaskDelayMs: delay,
    speculativeTasks: speculated.speculative,
  };
}
