/**
 * Incremental windows: time per batch of a windowed count with a 300 s window ÷ with a 30 s window,
 * same 1 s slide, same batches, measured over the same last batches once both windows are full. An
 * incremental window (add the new batch, subtract the leaving one) keeps this near 1; recomputing
 * the window would make it ~10. topk is used so that result frames stay small (10 rows): what the
 * result log keeps then does not grow with the run, and the short-window run can stop once its own
 * window is full.
 */
import { runBaseline } from "./baseline.js";
import { textSource } from "./corpus.js";
import { collectGarbage } from "./gc.js";
import type { BenchOptions } from "./options.js";
import type { BenchResults } from "./results.js";
import { mismatches, range, type RunResult } from "./run-result.js";
import { median, ratio, round } from "./stats.js";
import { runEngine } from "./engine-driver.js";
import { runEnginePreferringPool } from "./throughput.js";

export async function measureIncrementalWindow(options: BenchOptions, vocabulary: readonly string[], failures: string[], notes: string[]): Promise<BenchResults["incrementalWindow"]> {
  const { recordsPerBatch, measuredBatches, longWindowBatches } = options.incrementalWindow;
  const shortWindowBatches = options.windowBatches;
  let runner = "in-thread";
  const measure = async (windowBatches: number) => {
    const source = textSource({ batches: windowBatches + measuredBatches, recordsPerBatch, vocabulary, seed: 11 });
    let run: RunResult;
    if (options.incrementalWindow.runner === "pool") {
      const preferred = await runEnginePreferringPool("topk", source, windowBatches, options, notes);
      run = preferred.run;
      runner = preferred.runner.kind === "pool" ? `pool (${preferred.runner.workers} workers)` : "in-thread";
    } else {
      run = await runEngine("topk", source, { runner: "in-thread", partitions: options.partitions, windowBatches });
    }
    const reference = runBaseline("topk", source, windowBatches);
    for (const m of mismatches(reference, run, range(1, source.batches))) failures.push(`topk (${windowBatches} s window): engine disagrees with the baseline loop at ${m}`);
    collectGarbage();
    return steadyBatchMs(run, windowBatches + 1, source.batches);
  };
  const short = await measure(shortWindowBatches);
  const long = await measure(longWindowBatches);
  return {
    ratio: ratio(long.mean, short.mean),
    medianRatio: ratio(long.median, short.median),
    shortWindowMsPerBatch: round(short.mean),
    longWindowMsPerBatch: round(long.mean),
    shortWindowSec: shortWindowBatches,
    longWindowSec: longWindowBatches,
    recordsPerBatch,
    workload: "topk",
    runner,
    measuredBatches,
  };
}

function steadyBatchMs(run: RunResult, from: number, to: number): { mean: number; median: number } {
  const times = range(from, to).map((b) => run.batchMs[b] ?? 0);
  return { mean: times.reduce((a, b) => a + b, 0) / times.length, median: median(times) };
}
