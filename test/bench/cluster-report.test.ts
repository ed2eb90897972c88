/** The Cluster section of docs/benchmarks.md, from the cluster figures. */
import { describe, expect, it } from "vitest";
import { clusterSection } from "../../bench/cluster-report.js";

const setup = { jobs: 30, stepMs: 12_000, drainMs: 20_000, eventsPerBody: 100, search: { startRate: 1_000, factor: 2, bisections: 1, maxSteps: 6, minRate: 100 }, batchIntervalMs: 1000, windowSec: 10 };

describe("cluster report", () => {
  it("gives median and max per lease TTL, and both sustained rates with their ratio", () => {
    const failover = {
      byLeaseTtl: [{ leaseTtlMs: 1000, kills: 3, killsBehindBefore: 0, jobsRecovered: 12, medianMs: 1_500, maxMs: 1_900, medianClaimedMs: 1_200, maxClaimedMs: 1_400, late: 0 }],
      rounds: [{ leaseTtlMs: 1000, victim: "node-1", killedAfterBalanceMs: 15_000, loadAverage1m: 3.2, lagBeforeKillMs: 200, onScheduleBeforeKill: true, jobs: [{ job: "failover-1", claimedMs: 1_200, backOnScheduleMs: 1_500, framesAfterKill: [] }] }],
      setup: { jobs: 12, checkpointIntervalMs: 10_000, eventsPerBody: 100, ingestEveryMs: 100, giveUpMs: 30_000, nodes: 3, workersPerNode: 1, batchIntervalMs: 1000, recordsPerSec: 1_000 },
    };
    const run = (nodes: number, rate: number) => ({ nodes, workersPerNode: 1, sustainedRecordsPerSec: rate, steps: [{ offeredRecordsPerSec: rate, achievedRecordsPerSec: rate, sustained: true, jobsBehind: 0, jobsMoved: 0, worstLagMs: 300, loadAverage1m: 2.5 }] });
    const lines = clusterSection({ failover, jobs: { oneNode: run(1, 2_000), threeNodes: run(3, 2_500), ratio: 1.25, setup } }, 2);
    expect(lines).toContain("| 1000 | 3 (0) | 12 | 1,500 ms | 1,900 ms | 1,200 ms | 1,400 ms | 0 |");
    expect(lines).toContain("| sustained ingest, every job on schedule | 2,000 records/s | 2,500 records/s | 1.25 |");
    expect(lines.some((l) => l.includes("bounded by the cores"))).toBe(true);
    expect(lines).toContain("Each kill: node-1 at lease 1000 ms (load average 3.2), back after 1,500 ms, claimed after 1,200 ms.");
    expect(lines).toContain("| 3 × 1 | 2,500 | 2,500 | yes | 300 ms | 0 | 2.5 |");
  });

  it("has no section without cluster figures", () => {
    expect(clusterSection(undefined)).toEqual([]);
    expect(clusterSection({})).toEqual([]);
  });
});
