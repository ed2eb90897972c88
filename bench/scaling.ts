/**
 * Scaling: the same wordcount batches through the pool with 1 worker and with 2, on 2 cores. The runs
 * alternate (1, 2, 1, 2) and each side's figure is the mean of its runs, so a burst of load from
 * elsewhere on this shared machine does not land on one side only.
 */
import { runEngine } from "./engine-driver.js";
import { collectGarbage } from "./gc.js";
import type { BenchOptions } from "./options.js";
import type { BenchResults } from "./results.js";
import { mismatches, range, recordsPerSec } from "./run-result.js";
import { RunnerUnavailableError } from "./runners.js";
import { ratio } from "./stats.js";
import type { ThroughputRun } from "./throughput.js";

export async function measureScaling(wordcount: ThroughputRun, options: BenchOptions, failures: string[]): Promise<BenchResults["scaling"]> {
  const { source, baseline } = wordcount;
  const from = options.windowBatches + 1;
  const rates: Record<1 | 2, number[]> = { 1: [], 2: [] };
  const speculative: Record<1 | 2, number> = { 1: 0, 2: 0 };
  for (const workers of [1, 2, 1, 2] as const) {
    try {
      const run = await runEngine("wordcount", source, { runner: "pool", workers, partitions: options.partitions, windowBatches: options.windowBatches });
      for (const m of mismatches(baseline, run, range(1, source.batches))) failures.push(`wordcount: engine on a ${workers}-worker pool disagrees with the baseline loop at ${m}`);
      rates[workers].push(recordsPerSec(run, source, from));
      speculative[workers] += run.speculativeTasks;
      collectGarbage();
    } catch (error) {
      if (error instanceof RunnerUnavailableError) return { ratio: null, reason: error.message };
      throw error;
    }
  }
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  return {
    ratio: ratio(mean(rates[2]), mean(rates[1])),
    oneWorkerRecordsPerSec: Math.round(mean(rates[1])),
    twoWorkersRecordsPerSec: Math.round(mean(rates[2])),
    workload: "wordcount",
    speculativeTasks: [speculative[1], speculative[2]],
  };
}
