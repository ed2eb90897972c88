/**
 * End-to-end latency, event acknowledged -> its effect seen by a WebSocket subscriber, for grep at
 * fractions of its end-to-end peak and several batch intervals. The server promises that an event
 * acknowledged before batch time B is in batch B or an earlier one, so its effect is seen at the
 * latest with the first frame whose batch time is after the acknowledgement (the client's reading of
 * it, which is no earlier than the server's): that frame's arrival is what is timed.
 */
import { runStep, type BodySet } from "./e2e-step.js";
import type { BenchOptions } from "./options.js";
import type { LatencyPoint } from "./results.js";
import type { ServerProcess } from "../test/support/server-process.js";

export async function measureLatency(server: ServerProcess, grepPeak: number, options: BenchOptions, bodies: BodySet, failures: string[]): Promise<LatencyPoint[]> {
  const points: LatencyPoint[] = [];
  for (const batchIntervalMs of options.latency.batchIntervalsMs) {
    for (const fraction of options.latency.loadFractions) {
      const load = Math.round(grepPeak * fraction);
      const { step, failure } = await runStep(
        server,
        { workload: "grep", offeredRecordsPerSec: load, batchIntervalMs, windowBatches: 1, partitions: options.partitions, durationMs: options.latency.stepMs, warmupMs: options.e2e.warmupMs, clients: options.e2e.clients, drainMs: options.e2e.drainMs },
        bodies,
      );
      if (failure) failures.push(failure);
      points.push({
        batchIntervalMs,
        loadRecordsPerSec: load,
        fractionOfPeak: fraction,
        p50Ms: step.p50Ms,
        p99Ms: step.p99Ms,
        samples: step.latencySamples,
        achievedRecordsPerSec: step.achievedRecordsPerSec,
        withinTarget: step.p99Ms === null ? null : step.p99Ms <= batchIntervalMs + 100,
      });
    }
  }
  return points;
}
