/** Scaling: the same wordcount batches through the pool with 1 worker and with 2, on 2 cores. */
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
  const rates: number[] = [];
  const speculative: number[] = [];
  for (const workers of [1, 2]) {
    try {
      const run = await runEngine("wordcount", source, { runner: "pool", workers, partitions: options.partitions, windowBatches: options.windowBatches });
      for (const m of mismatches(baseline, run, range(1, source.batches))) failures.push(`wordcount: engine on a ${workers}-worker pool disagrees with the baseline loop at ${m}`);
      rates.push(recordsPerSec(run, source, from));
      speculative.push(run.speculativeTasks);
      collectGarbage();
    } catch (error) {
      if (error instanceof RunnerUnavailableError) return { ratio: null, reason: error.message };
      throw error;
    }
  }
  return {
    ratio: ratio(rates[1], rates[0]),
    oneWorkerRecordsPerSec: Math.round(rates[0]!),
    twoWorkersRecordsPerSec: Math.round(rates[1]!),
    workload: "wordcount",
    speculativeTasks: speculative,
  };
}
