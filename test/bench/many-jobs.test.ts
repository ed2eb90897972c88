/** The many-jobs section's figures from what a step saw, and the even spreading of its load. */
import { describe, expect, it } from "vitest";
import { recordsDue, stepFigures } from "../../bench/many-jobs-figures.js";
import { capacityLines, manyJobsSection } from "../../bench/many-jobs-report.js";

describe("many jobs figures", () => {
  it("divides the process's CPU by the events and the jobs", () => {
    const f = stepFigures({ cpuMicros: 2_000_000, events: 10_000, jobs: 4, batchDelaysMs: [1, 2, 3], unfinishedDelaysMs: [0, 0, 0, 0] });
    expect(f.cpuMicrosPerEventPerJob).toBe(50);
    expect(f.batches).toBe(3);
    expect(f.jobsBehind).toBe(0);
  });

  it("takes the p99 over the batches that started and the batches still due at the end", () => {
    const started = Array.from({ length: 99 }, () => 5);
    expect(stepFigures({ cpuMicros: 1, events: 1, jobs: 1, batchDelaysMs: started, unfinishedDelaysMs: [] }).p99SchedulingDelayMs).toBe(5);
    // A job stuck for 4 s counts, though none of its batches started: it is the worst 1 %.
    const behind = stepFigures({ cpuMicros: 1, events: 1, jobs: 2, batchDelaysMs: started.slice(0, 49), unfinishedDelaysMs: [4_000, 0] });
    expect(behind.p99SchedulingDelayMs).toBe(4_000);
    expect(behind.jobsBehind).toBe(1);
  });

  it("has no figure without events or batches", () => {
    expect(stepFigures({ cpuMicros: 5, events: 0, jobs: 3, batchDelaysMs: [], unfinishedDelaysMs: [0] })).toMatchObject({ cpuMicrosPerEventPerJob: null, p99SchedulingDelayMs: null });
  });

  it("spreads a rate over ingests so that every second gets exactly the rate", () => {
    const perIngest = Array.from({ length: 30 }, (_, i) => recordsDue(1_100, 100, i));
    expect(perIngest.slice(0, 10).reduce((a, b) => a + b, 0)).toBe(1_100);
    expect(perIngest.reduce((a, b) => a + b, 0)).toBe(3_300);
    expect(Math.max(...perIngest) - Math.min(...perIngest)).toBeLessThanOrEqual(1);
  });

  it("writes a row per step in the report", () => {
    const load = { otherProcessesCores: 0.5, ownCores: 1, cores: 2, loadAverage1m: 2, busy: true };
    const row = { jobs: 50, emit: "changes" as const, batchIntervalMs: 1000, recordsPerSec: 1_100, cpuMicrosPerEventPerJob: 12.5, p99SchedulingDelayMs: 80, batches: 600, jobsBehind: 0, cores: 1.2, mainThreadBusy: 0.3, peakRssMiB: 400, load };
    const lines = manyJobsSection([row], { p99SchedulingDelayMs: 40, runs: [{ ...row, jobs: 20, batchIntervalMs: 100, emit: "all" }] });
    expect(lines.filter((l) => l.startsWith("| 50 | 1,100 | 1000 ms | changes | 12.5 µs | 80 ms |"))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith("| 20 | 1,100 | 100 ms | all |"))).toHaveLength(1);
    expect(manyJobsSection([{ ...row, jobs: 200, recordsPerSec: 0, cpuMicrosPerEventPerJob: null }], undefined).filter((l) => l.startsWith("| 200 | none | 1000 ms | changes | — |"))).toHaveLength(1);
    expect(manyJobsSection(undefined, undefined)).toEqual([]);
  });

  it("says how many jobs the cores carry at the cost of the largest row that kept up", () => {
    const load = { otherProcessesCores: 0.5, ownCores: 1, cores: 2, loadAverage1m: 2, busy: true };
    const base = { emit: "changes" as const, batchIntervalMs: 1000, recordsPerSec: 1_000, p99SchedulingDelayMs: 10, batches: 10, cores: 1, mainThreadBusy: 0.3, peakRssMiB: 400, load };
    const lines = capacityLines([
      { ...base, jobs: 1, cpuMicrosPerEventPerJob: 80, jobsBehind: 0 },
      { ...base, jobs: 10, cpuMicrosPerEventPerJob: 50, jobsBehind: 0 },
      { ...base, jobs: 50, cpuMicrosPerEventPerJob: 10, jobsBehind: 50 },
    ], 2);
    // 2 cores = 2,000,000 µs/s; one job takes 1,000 events/s × 50 µs.
    expect(lines).toEqual(["- emit `changes`: at 50 µs per event per job (the 10-job row, all on schedule), 2 cores carry at most about 40 such jobs at 1,000 records/s, doing nothing else."]);
  });
});
