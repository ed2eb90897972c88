/**
 * The worker pool against the in-thread reference: the same job over the same batches gives the same
 * frames, also when workers are killed or slowed down in the middle of the run (worker-liveness.test.ts:
 * slow workers are kept, lost ones cost nothing but time).
 */
import { describe, expect, it } from "vitest";
import { createMetrics } from "../../../src/metrics/metrics.js";
import { InThreadRunner } from "../../../src/workers/in-thread-runner.js";
import type { TaskRunner } from "../../../src/engine/task-runner.js";
import { random } from "../../../examples/lib/corpus.mjs";
import { runJob } from "../../support/job-run.js";
import { batchesOf, poolsClosedAfterEach, windowedWordCount } from "../../support/worker-pools.js";

const runningTotals = {
  batchInterval: "1s",
  steps: [{ op: "flatMap", expr: "text.split(' ')", as: "word" }, { op: "keyBy", key: "word" }, { op: "runningAggregate", aggs: { count: { fn: "count" } } }],
};

/** Per user, the tweets and the replies of the last 3 s (the replies stream: "replies"). */
const windowedCogroup = {
  batchInterval: "1s",
  steps: [
    { op: "keyBy", key: "user" },
    { op: "cogroup", with: { input: "replies", steps: [{ op: "keyBy", key: "user" }] }, window: { length: "3s" } },
    { op: "map", project: { key: "key", tweets: "size(left)", replies: "size(right)", firstReply: "size(right) > 0 ? right[0].text : ''" } },
  ],
};

const pool = poolsClosedAfterEach();

// Every wait here is on evidence (a death seen, a frame computed); the bound only ends a run that is
// stuck, and is generous because test files share two cores with the rest of the suite.
describe("worker pool", { timeout: 180_000 }, () => {
  it("gives exactly the frames of the in-thread runner", async () => {
    const batches = batchesOf(8, 300, 1);
    const expected = await runJob({ runner: new InThreadRunner(), definition: windowedWordCount, batches });
    const got = await runJob({ runner: await pool(), definition: windowedWordCount, batches });
    expect(expected.length).toBe(8);
    expect(got).toEqual(expected);
  });

  it.each([
    ["a windowed job", windowedWordCount],
    ["a running aggregate", runningTotals],
    ["a windowed cogroup of two streams", windowedCogroup],
  ])("%s: killing workers at random batches changes no frame", async (_label, definition) => {
    const batches = batchesOf(16, 200, 2);
    const others = { replies: batchesOf(16, 150, 9) };
    const expected = await runJob({ runner: new InThreadRunner(), definition, batches, others, checkpointIntervalMs: 3000 });
    const metrics = createMetrics({ defaultMetrics: false });
    const workers = await pool({ metrics });
    const next = random(7);
    const killAt = new Set([2, 5, 6, 11].map((b) => b + Math.floor(next() * 2)));
    const got = await runJob({
      runner: workers,
      definition,
      batches,
      others,
      checkpointIntervalMs: 3000,
      beforeBatch: async (i) => {
        if (!killAt.has(i)) return;
        const victim = workers.liveWorkers()[Math.floor(next() * 2)]!;
        // Crash the thread; the batch about to be cut runs while its partitions are rebuilt. The pool
        // must have seen the death before the next kill picks its victim, or both could hit one thread.
        await workers.inject(victim, { kind: "crash" });
        while (workers.liveWorkers().includes(victim)) await new Promise((r) => setTimeout(r, 1));
      },
    });
    expect(got).toEqual(expected);
    expect(got.filter((f) => f.rows.length > 0).length).toBeGreaterThan(10);
    const restarts = await metrics.registry.getSingleMetricAsString("tributary_worker_restarts_total");
    expect(restarts).toMatch(new RegExp(`tributary_worker_restarts_total\\{reason="uncaught error"\\} ${killAt.size}`));
  });

  it.each([
    // The standby takes the dead worker's place and one of its partitions; one more moves to it.
    ["a running aggregate, with a standby", runningTotals, 1, 1],
    ["a windowed job, with a standby", windowedWordCount, 1, 1],
    // The survivor rebuilds both; the thread started after the recovery then takes two.
    ["a running aggregate, without a standby", runningTotals, 0, 2],
  ])("%s: spreads a dead worker's partitions evenly again once they are rebuilt, and no frame changes", async (_label, definition, standbyWorkers, moved) => {
    const batches = batchesOf(12, 200, 5);
    const expected = await runJob({ runner: new InThreadRunner(), definition, batches, checkpointIntervalMs: 3000 });
    const metrics = createMetrics({ defaultMetrics: false });
    const workers = await pool({ metrics, standbyWorkers });
    let owners: (number | undefined)[] = [];
    let liveAfter: number[] = [];
    const got = await runJob({
      runner: workers,
      definition,
      batches,
      checkpointIntervalMs: 3000,
      beforeBatch: async (i) => {
        if (i === 3) {
          // Worker 0 owns partitions 0 and 2.
          await workers.inject(0, { kind: "crash" });
          while (workers.liveWorkers().includes(0)) await new Promise((r) => setTimeout(r, 1));
        }
        if (i === 7) {
          while (workers.liveWorkers().length < 2) await new Promise((r) => setTimeout(r, 5));
          await workers.whenBalanced();
          owners = [0, 1, 2, 3].map((p) => workers.ownerOf("job", p));
          liveAfter = workers.liveWorkers();
        }
      },
    });
    expect(got).toEqual(expected);
    expect(liveAfter).toEqual([1, 2]);
    expect(liveAfter.map((w) => owners.filter((o) => o === w).length)).toEqual([2, 2]);
    const tasks = await metrics.registry.getSingleMetricAsString("tributary_worker_tasks_total");
    expect(tasks).toMatch(new RegExp(`tributary_worker_tasks_total\\{worker="2",kind="move"\\} ${moved}\\b`));
  });

  it.each([
    ["a running aggregate", runningTotals],
    ["a windowed job", windowedWordCount],
  ])("%s: a worker that dies after answering one partition's reduce and before another's changes no frame", async (_label, definition) => {
    const batches = batchesOf(10, 200, 6);
    const expected = await runJob({ runner: new InThreadRunner(), definition, batches, checkpointIntervalMs: 3000 });
    const workers = await pool();
    // Worker 0 owns partitions 0 and 2. In batch 5 (not at a checkpoint), partition 2's reduce is held
    // until partition 0's is answered, then worker 0 is crashed and only then is partition 2's sent.
    const batchTime = 5000;
    let answeredZero: Promise<unknown> = Promise.resolve();
    let crashed = false;
    const runner: TaskRunner = {
      deploy: (d) => workers.deploy(d),
      map: (t) => workers.map(t),
      reduce: async (task) => {
        if (task.batchTime !== batchTime || (task.partition !== 0 && task.partition !== 2)) return workers.reduce(task);
        if (task.partition === 0) {
          const answer = workers.reduce(task);
          answeredZero = answer;
          return answer;
        }
        await new Promise((r) => setImmediate(r));
        await answeredZero;
        expect(workers.ownerOf("job", 2)).toBe(workers.ownerOf("job", 0));
        const victim = workers.ownerOf("job", 0)!;
        await workers.inject(victim, { kind: "crash" });
        while (workers.liveWorkers().includes(victim)) await new Promise((r) => setTimeout(r, 1));
        crashed = true;
        return workers.reduce(task);
      },
      snapshot: (j, p) => workers.snapshot(j, p),
      lookup: (j, p, k) => workers.lookup(j, p, k),
      restore: (j, p, s) => workers.restore(j, p, s),
      undeploy: (j) => workers.undeploy(j),
      close: async () => undefined,
    };
    const got = await runJob({ runner, definition, batches, checkpointIntervalMs: 3000 });
    expect(crashed).toBe(true);
    expect(got).toEqual(expected);
  });

  it("puts its standby thread in a dead worker's place at once, and starts a new standby after the recovery", async () => {
    const workers = await pool({ standbyWorkers: 1 });
    expect(workers.liveWorkers()).toEqual([0, 1]); // the standby (thread 2) takes no task
    await workers.inject(0, { kind: "crash" });
    while (workers.liveWorkers().includes(0)) await new Promise((r) => setTimeout(r, 1));
    expect(workers.liveWorkers()).toEqual([1, 2]);
    // A new standby (thread 3) boots shortly after the recovery, and covers the next death.
    await workers.whenRecovered();
    await new Promise((r) => setTimeout(r, 2500));
    await workers.inject(1, { kind: "crash" });
    while (workers.liveWorkers().includes(1)) await new Promise((r) => setTimeout(r, 1));
    expect(workers.liveWorkers()).toEqual([2, 3]);
  });

  it("runs a speculative copy of a slowed worker's map tasks and keeps the result right", async () => {
    const batches = batchesOf(6, 400, 4);
    const expected = await runJob({ runner: new InThreadRunner(), definition: windowedWordCount, batches, partitions: 8 });
    const metrics = createMetrics({ defaultMetrics: false });
    const workers = await pool({ metrics, speculationMinimumMs: 5 });
    await workers.inject(workers.liveWorkers()[1]!, { kind: "slow", delayMs: 150 });
    const got = await runJob({ runner: workers, definition: windowedWordCount, batches, partitions: 8 });
    expect(got).toEqual(expected);
    const speculative = await metrics.registry.getSingleMetricAsString("tributary_speculative_tasks_total");
    expect(speculative).toMatch(/outcome="won"\} [1-9]/);
    // The slowed originals, once awake, saw that their copies had won and stopped instead of running on.
    const abandoned = await metrics.registry.getSingleMetricAsString("tributary_map_tasks_abandoned_total");
    expect(abandoned).toMatch(/tributary_map_tasks_abandoned_total [1-9]/);
  });
});
