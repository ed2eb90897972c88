/** The targets, each judged from the results: met, missed, or null when not measured. */
import type { BenchResults, Target } from "./results.js";
import { WORKLOADS } from "./workloads.js";

const atLeast = (value: number | null | undefined, bound: number) => (value === null || value === undefined ? null : value >= bound);
const atMost = (value: number | null | undefined, bound: number) => (value === null || value === undefined ? null : value <= bound);

export function judgeTargets(r: BenchResults): Target[] {
  const targets: Target[] = [];
  for (const w of WORKLOADS) {
    const f = r.workloads[w];
    targets.push({ name: `${w}: engine ÷ baseline loop`, target: ">= 0.5", value: f.ratioToBaseline, met: atLeast(f.ratioToBaseline, 0.5) });
    targets.push({ name: `${w}: engine ÷ RxJS`, target: ">= 1", value: f.ratioToRxjs, met: atLeast(f.ratioToRxjs, 1) });
  }
  for (const p of r.latency.filter((p) => p.fractionOfPeak === 0.5)) {
    targets.push({ name: `p99 latency at half of peak, ${p.batchIntervalMs} ms batches (ms)`, target: `<= ${p.batchIntervalMs + 100}`, value: p.p99Ms, met: atMost(p.p99Ms, p.batchIntervalMs + 100) });
  }
  targets.push({ name: "scaling: 2 workers ÷ 1 worker", target: ">= 1.7", value: r.scaling.ratio, met: atLeast(r.scaling.ratio, 1.7) });
  targets.push({ name: "straggler: slowed worker with speculation ÷ no straggler", target: "< 2", value: r.stragglers?.ratio ?? null, met: r.stragglers?.ratio == null ? null : r.stragglers.ratio < 2 });
  targets.push({ name: "incremental window: 300 s ÷ 30 s time per batch", target: "<= 1.5", value: r.incrementalWindow.ratio, met: atMost(r.incrementalWindow.ratio, 1.5) });
  const restart = r.serverRestartWithJobs;
  if (restart) {
    targets.push({ name: `server restart with ${restart.jobs} jobs: /healthz answers (ms)`, target: "<= 1000", value: restart.healthzMs, met: atMost(restart.healthzMs, 1000) });
    targets.push({ name: `server restart with ${restart.jobs} jobs: first ingest accepted (ms)`, target: "<= 1000", value: restart.firstIngestMs, met: atMost(restart.firstIngestMs, 1000) });
    targets.push({ name: `server restart with ${restart.jobs} jobs: every job back on schedule (ms)`, target: "<= 3000", value: restart.allOnScheduleMs, met: atMost(restart.allOnScheduleMs, 3000) });
  }
  targets.push({ name: "worker killed -> back on schedule (ms)", target: "<= 1000", value: r.recovery.workerKillMs, met: atMost(r.recovery.workerKillMs, 1000) });
  for (const t of r.cluster?.failover?.byLeaseTtl ?? []) {
    targets.push({ name: `node killed -> its jobs back on schedule, max over its jobs, LEASE_TTL_MS ${t.leaseTtlMs} (ms)`, target: "< 2000", value: t.maxMs, met: t.maxMs === null ? null : t.maxMs < 2000 });
  }
  for (const row of (r.manyJobs ?? []).filter((m) => m.jobs === 200 && m.recordsPerSec !== 0)) {
    targets.push({ name: `200 windowed wordcount jobs, emit ${row.emit}: p99 scheduling delay (ms)`, target: "< 100", value: row.p99SchedulingDelayMs, met: row.p99SchedulingDelayMs === null ? null : row.p99SchedulingDelayMs < 100 });
  }
  if (r.fastBatches) {
    const p99 = r.fastBatches.p99SchedulingDelayMs;
    targets.push({ name: "20 jobs at 100 ms batches: p99 scheduling delay (ms)", target: "< 50", value: p99, met: p99 === null ? null : p99 < 50 });
  }
  targets.push({ name: "end-to-end grep (records/s)", target: ">= 500000", value: r.workloads.grep.e2eRecordsPerSec, met: atLeast(r.workloads.grep.e2eRecordsPerSec, 500_000) });
  const perKey = r.memory.bytesPerWindowKey ?? null;
  targets.push({ name: "memory: bytes per key in a 30 s window", target: "<= 300", value: perKey, met: atMost(perKey, 300) });
  return targets;
}
