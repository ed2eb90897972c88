/** The batch loop under a manual clock: when batches are cut, what they record, and in what order they run. */
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../../../src/engine/clock.js";
import { createEngine, type Engine } from "../../../../src/engine/engine.js";
import type { ReduceResult, ReduceTask } from "../../../../src/engine/task-runner.js";
import { createMetrics } from "../../../../src/metrics/metrics.js";
import { openMemoryStore } from "../../../../src/store/memory/open-memory-store.js";
import type { ResultFrame, Store } from "../../../../src/store/types.js";
import { MAX_WAITING_BATCHES } from "../../../../src/engine/scheduler/job-generator.js";
import { InThreadRunner } from "../../../../src/workers/in-thread-runner.js";

/**
 * The real in-thread runner, with a gate that holds reduce tasks and a log of the batches it ran
 * (partition 0's reduce task, which every batch of a keyed job runs).
 */
class GatedRunner extends InThreadRunner {
  readonly ran: { descriptor: { batchTime: number }; recordedFirst: boolean }[] = [];
  private gate: Promise<void> = Promise.resolve();
  private open: () => void = () => undefined;

  constructor(private readonly store: Store) {
    super();
  }

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open();
  }

  override async reduce(task: ReduceTask): Promise<ReduceResult> {
    if (task.partition === 0) {
      const recorded = await this.store.batches.list(task.jobId, task.batchTime - 1, 1);
      this.ran.push({ descriptor: { batchTime: task.batchTime }, recordedFirst: recorded[0]?.batchTime === task.batchTime });
    }
    await this.gate;
    return super.reduce(task);
  }
}

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.stop();
  engine = undefined;
});

async function setup(steps: unknown[], batchInterval = "1s") {
  const store = openMemoryStore();
  const clock = new ManualClock(10_500);
  const runner = new GatedRunner(store);
  engine = createEngine({ store, runner, clock, metrics: createMetrics({ defaultMetrics: false }), defaultPartitions: 2 });
  await engine.start();
  await engine.declareStream({ name: "s" });
  await engine.registerJob({ name: "j", input: "s", batchInterval, steps });
  const frames: ResultFrame[] = [];
  await engine.subscribe("j", 1, { frame: (f) => frames.push(f), end: () => undefined });
  const step = async (ms: number) => {
    clock.advance(ms);
    await engine!.whenIdle("j");
  };
  return { store, clock, runner, frames, step, engine };
}

const count = { op: "aggregate", aggs: { n: { fn: "count" } } };

describe("JobGenerator", () => {
  it("cuts batches at multiples of the batch interval and records each descriptor before it runs", async () => {
    const { runner, step, frames, engine } = await setup([count]);
    await engine.ingest("s", [{ a: 1 }, { a: 2 }, { a: 3 }]);
    await step(500); // to 11 000: the first batch time after 10 500
    await engine.ingest("s", [{ a: 4 }]);
    await step(1000);
    expect(runner.ran.map((r) => r.descriptor.batchTime)).toEqual([11_000, 12_000]);
    expect(runner.ran.every((r) => r.recordedFirst)).toBe(true);
    expect(frames.map((f) => [f.seq, f.batchTime, f.rows])).toEqual([
      [1, 11_000, [{ n: 3 }]],
      [2, 12_000, [{ n: 1 }]],
    ]);
  });

  it("keeps cutting on time while a batch is slow, then runs the backlog in order", async () => {
    const { runner, clock, frames, engine, store } = await setup([count]);
    runner.hold();
    await engine.ingest("s", [{ a: 1 }]);
    clock.advance(500); // batch 11 000 is cut and starts, then waits at the gate
    await new Promise((r) => setTimeout(r, 20));
    await engine.ingest("s", [{}, {}, {}, {}, {}]);
    clock.advance(1000); // batch 12 000 is cut on time although 11 000 has not finished
    await new Promise((r) => setTimeout(r, 20));
    expect((await store.batches.list("j", 0, 10)).map((d) => d.batchTime)).toEqual([11_000, 12_000]);
    expect(runner.ran.map((r) => r.descriptor.batchTime)).toEqual([11_000]);
    expect(frames).toEqual([]);
    runner.release();
    await engine.whenIdle("j");
    expect(runner.ran.map((r) => r.descriptor.batchTime)).toEqual([11_000, 12_000]);
    expect(frames.map((f) => f.rows)).toEqual([[{ n: 1 }], [{ n: 5 }]]);
    const progress = (await engine.getJob("j")).progress!;
    expect(progress.lastBatch!.schedulingDelayMs).toBe(0);
    expect(progress.pendingBatches).toBe(0);
  });

  it("holds at most MAX_WAITING_BATCHES batches waiting while it is stuck, and counts every event once it catches up", async () => {
    const { runner, clock, frames, engine, store } = await setup([count]);
    runner.hold();
    const ticks = MAX_WAITING_BATCHES + 50;
    let sent = 0;
    for (let i = 0; i < ticks; i++) {
      await engine.ingest("s", [{}, {}]);
      sent += 2;
      clock.advance(i === 0 ? 500 : 1000);
      await new Promise((r) => setImmediate(r));
    }
    await engine.ingest("s", [{}]);
    sent += 1;
    const stuck = (await engine.getJob("j")).progress!;
    expect(stuck.pendingBatches).toBeLessThanOrEqual(MAX_WAITING_BATCHES);
    expect(stuck.skippedBatchTimes).toBe(ticks - MAX_WAITING_BATCHES);
    expect((await store.batches.list("j", 0, 1000)).length).toBe(MAX_WAITING_BATCHES);

    runner.release();
    await engine.whenIdle("j");
    clock.advance(1000); // the next cut takes everything that came while no batch was cut
    await engine.whenIdle("j");
    const counted = frames.reduce((n, f) => n + Number(f.rows[0]?.n ?? 0), 0);
    expect(counted).toBe(sent);
    const descriptors = await store.batches.list("j", 0, 1000);
    // The cuts cover the input without a gap or an overlap.
    for (let i = 1; i < descriptors.length; i++) expect(descriptors[i]!.ranges.map((r) => r.from)).toEqual(descriptors[i - 1]!.ranges.map((r) => r.to));
  });

  it("emits a tumbling window only at its end, covering exactly its batches", async () => {
    const { step, frames, engine } = await setup([{ op: "window", length: "2s", slide: "2s" }, count]);
    for (const n of [1, 2, 3, 4]) {
      await engine.ingest("s", Array.from({ length: n }, () => ({})));
      await step(n === 1 ? 500 : 1000); // batches at 11 000, 12 000, 13 000, 14 000
    }
    expect(frames.map((f) => [f.batchTime, f.window, f.rows])).toEqual([
      [12_000, { start: 10_000, end: 12_000 }, [{ n: 3 }]],
      [14_000, { start: 12_000, end: 14_000 }, [{ n: 7 }]],
    ]);
  });
});
