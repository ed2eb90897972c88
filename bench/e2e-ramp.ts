/**
 * End-to-end peak: the highest offered rate at which the job keeps up with a flat scheduling delay.
 * The rate grows by a factor until a step is not sustainable, then the gap between the best good
 * and the first bad rate is halved a few times. Every step is bounded in time.
 */
import { runStep, type BodySet } from "./e2e-step.js";
import type { BenchOptions } from "./options.js";
import type { E2eStep } from "./results.js";
import type { ServerProcess } from "../test/support/server-process.js";
import type { WorkloadName } from "./workloads.js";

export interface Ramp {
  /** Highest achieved rate of a sustainable step; null when none was. */
  readonly peak: number | null;
  readonly steps: E2eStep[];
  /** The latency samples of each step, in step order. */
  readonly latencies: number[][];
}

export async function findPeak(server: ServerProcess, workload: WorkloadName, startRate: number, options: BenchOptions, bodies: BodySet, failures: string[]): Promise<Ramp> {
  const { e2e } = options;
  const steps: E2eStep[] = [];
  const latencies: number[][] = [];
  let good: E2eStep | undefined;
  let bad: E2eStep | undefined;
  let rate = startRate;
  let bisections = 0;
  for (let i = 0; i < e2e.maxSteps && rate <= e2e.maxRecordsPerSec && rate >= 1000; i++) {
    const outcome = await runStep(
      server,
      { workload, offeredRecordsPerSec: Math.round(rate), batchIntervalMs: 1000, windowBatches: options.windowBatches, partitions: options.partitions, durationMs: e2e.stepMs, warmupMs: e2e.warmupMs, clients: e2e.clients, drainMs: e2e.drainMs },
      bodies,
    );
    if (outcome.failure) failures.push(outcome.failure);
    steps.push(outcome.step);
    latencies.push(outcome.latenciesMs);
    if (outcome.step.sustainable) {
      if (!good || outcome.step.achievedRecordsPerSec > good.achievedRecordsPerSec) good = outcome.step;
    } else if (!bad || outcome.step.offeredRecordsPerSec < bad.offeredRecordsPerSec) {
      bad = outcome.step;
    }
    if (!bad) rate *= e2e.rampFactor;
    else if (!good) rate /= e2e.rampFactor;
    else if (bisections++ < e2e.bisections) rate = (good.offeredRecordsPerSec + bad.offeredRecordsPerSec) / 2;
    else break;
  }
  return { peak: good?.achievedRecordsPerSec ?? null, steps, latencies };
}
