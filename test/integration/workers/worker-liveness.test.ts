/**
 * A worker is lost only on evidence (its thread exits or throws, or it is ended on purpose), never for
 * answering late: a pool on a machine short of CPU, or running a task slower than any reply deadline,
 * replaces no worker; one that is really lost costs the job nothing but time.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMetrics, type Metrics } from "../../../src/metrics/metrics.js";
import type { WorkerPool } from "../../../src/workers/pool/worker-pool.js";
import { InThreadRunner } from "../../../src/workers/in-thread-runner.js";
import type { TaskRunner } from "../../../src/engine/task-runner.js";
import { runJob } from "../../support/job-run.js";
import { batchesOf, poolsClosedAfterEach, windowedWordCount } from "../../support/worker-pools.js";
import { startCpuSpinners, type CpuSpinners } from "../../support/cpu-spinners.js";


const pool = poolsClosedAfterEach();

/** Workers replaced so far, by reason (every reason is exposed from 0; those still at 0 are left out). */
async function restarts(metrics: Metrics): Promise<Record<string, number>> {
  const { values } = await metrics.workerRestarts.get();
  return Object.fromEntries(values.filter((v) => v.value > 0).map((v) => [String(v.labels.reason), v.value]));
}

/** The pool as a TaskRunner, with `onMap` called as each map task is handed to it. */
function watchingMaps(workers: WorkerPool, onMap: () => void): TaskRunner {
  return {
    deploy: (d) => workers.deploy(d),
    map: (t) => {
      const result = workers.map(t);
      onMap();
      return result;
    },
    reduce: (t) => workers.reduce(t),
    snapshot: (j, p) => workers.snapshot(j, p),
    lookup: (j, p, k) => workers.lookup(j, p, k),
    restore: (j, p, s) => workers.restore(j, p, s),
    undeploy: (j) => workers.undeploy(j),
    close: async () => undefined,
  };
}

// Waits are on evidence; the bound only ends a stuck run, generous for a machine shared with the suite.
describe("worker liveness", { timeout: 180_000 }, () => {
  describe("with every core kept busy by spinning processes", () => {
    let spinners: CpuSpinners;
    beforeAll(async () => {
      spinners = await startCpuSpinners();
    });
    afterAll(async () => {
      await spinners?.stop();
    });

    it("declares no worker lost, and a windowed job's frames equal the in-thread run", async () => {
      const batches = batchesOf(10, 300, 11);
      const expected = await runJob({ runner: new InThreadRunner(), definition: windowedWordCount, batches, checkpointIntervalMs: 3000 });
      const metrics = createMetrics({ defaultMetrics: false });
      const workers = await pool({ metrics });
      const got = await runJob({ runner: workers, definition: windowedWordCount, batches, checkpointIntervalMs: 3000 });
      expect(got).toEqual(expected);
      expect(got.filter((f) => f.rows.length > 0).length).toBeGreaterThan(8);
      expect(await restarts(metrics)).toEqual({});
      expect(workers.liveWorkers()).toEqual([0, 1]);
    });
  });

  it("keeps a worker busy in one task for 8 s (longer than any reply deadline), and the frames stay right", async () => {
    const batches = batchesOf(5, 200, 12);
    const expected = await runJob({ runner: new InThreadRunner(), definition: windowedWordCount, batches });
    const metrics = createMetrics({ defaultMetrics: false });
    const workers = await pool({ metrics });
    const got = await runJob({
      runner: workers,
      definition: windowedWordCount,
      batches,
      beforeBatch: async (i) => {
        // Worker 1 blocks its thread 8 s in its map task of batch 2, as a costly expression would.
        if (i === 2) await workers.inject(1, { kind: "slow", delayMs: 8000 });
        if (i === 3) await workers.inject(1, { kind: "slow", delayMs: 0 });
      },
    });
    expect(got).toEqual(expected);
    expect(await restarts(metrics)).toEqual({});
    expect(workers.liveWorkers()).toEqual([0, 1]);
    // Worker 1 really was held that long by its task, and was kept.
    const { values } = await metrics.workerBusySeconds.get();
    expect(values.find((v) => v.labels.worker === "1")!.value).toBeGreaterThanOrEqual(8);
  });

  it("re-runs the tasks of a worker ended in the middle of a map task; the job sees no error and its frames stay right", async () => {
    const batches = batchesOf(8, 300, 13);
    const expected = await runJob({ runner: new InThreadRunner(), definition: windowedWordCount, batches, checkpointIntervalMs: 3000 });
    const metrics = createMetrics({ defaultMetrics: false });
    // No speculative copy: the victim's map task must be run again because it was lost.
    const workers = await pool({ metrics, speculationMultiplier: 0 });
    const victim = 0;
    let armed = false;
    let killed: Promise<number> | undefined;
    const runner = watchingMaps(workers, () => {
      if (!armed) return;
      armed = false;
      killed = (async () => {
        // Evidence that the victim is inside its (slowed) map task: its thread counts it as started.
        while (workers.runningOn(victim) === 0) await new Promise((r) => setTimeout(r, 1));
        const running = workers.runningOn(victim);
        await workers.terminateWorker(victim);
        return running;
      })();
    });
    const got = await runJob({
      runner,
      definition: windowedWordCount,
      batches,
      checkpointIntervalMs: 3000,
      beforeBatch: async (i) => {
        if (i !== 4) return;
        await workers.inject(victim, { kind: "slow", delayMs: 2000 });
        armed = true;
      },
    });
    expect(killed).toBeDefined();
    expect(await killed).toBe(1);
    expect(got).toEqual(expected);
    expect(await restarts(metrics)).toEqual({ terminated: 1 });
    expect(workers.liveWorkers()).not.toContain(victim);
  });

  it.each([
    ["with the job's deployment sent to it and not yet answered", false],
    ["once it owns partitions of the job, while they are built", true],
  ])("deploys a job while a worker is lost %s, and its frames stay right", async (_label, afterAssignment) => {
    const batches = batchesOf(6, 200, 14);
    const expected = await runJob({ runner: new InThreadRunner(), definition: windowedWordCount, batches });
    const metrics = createMetrics({ defaultMetrics: false });
    const workers = await pool({ metrics });
    const runner: TaskRunner = {
      ...watchingMaps(workers, () => undefined),
      deploy: async (d) => {
        const deployed = workers.deploy(d);
        if (afterAssignment) while (workers.ownerOf(d.jobId, 0) === undefined) await new Promise((r) => setImmediate(r));
        await workers.terminateWorker(workers.ownerOf(d.jobId, 0) ?? 0);
        await deployed;
      },
    };
    const got = await runJob({ runner, definition: windowedWordCount, batches });
    expect(got).toEqual(expected);
    expect(await restarts(metrics)).toEqual({ terminated: 1 });
  });
});
