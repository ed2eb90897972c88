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
    return steadyBatchMs(run, windowBatches + 1, source.batches, CHECKPOINT_EVERY_BATCHES);
  };
  const short = await measure(shortWindowBatches);
  const long = await measure(longWindowBatches);
  return {
    ratio: ratio(long.mean, short.mean),
    medianRatio: ratio(long.median, short.median),
    slideRatio: ratio(long.slideMean, short.slideMean),
    shortCheckpointBatchMs: round(short.checkpointMean),
    longCheckpointBatchMs: round(long.checkpointMean),
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

/** The engine's default: a checkpoint every 10 s, i.e. at every 10th one-second batch. */
const CHECKPOINT_EVERY_BATCHES = 10;

/** Mean and median time per batch; also apart: batches that only slid, and those that also checkpointed. */
function steadyBatchMs(run: RunResult, from: number, to: number, checkpointEvery: number) {
  const batches = range(from, to);
  const times = batches.map((b) => run.batchMs[b] ?? 0);
  const mean = (list: number[]) => (list.length === 0 ? NaN : list.reduce((a, b) => a + b, 0) / list.length);
  const slides = batches.filter((b) => b % checkpointEvery !== 0).map((b) => run.batchMs[b] ?? 0);
  const checkpoints = batches.filter((b) => b % checkpointEvery === 0).map((b) => run.batchMs[b] ?? 0);
  return { mean: mean(times), median: median(times), slideMean: mean(slides), checkpointMean: mean(checkpoints) };
}
