/**
 * A job rebuilt after a restart cuts the batch that fell due while it was down at once, instead of
 * waiting for the next batch time: it is back on schedule as soon as it is rebuilt.
 */
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../../src/engine/clock.js";
import { createEngine } from "../../../src/engine/engine.js";
import { createMetrics } from "../../../src/metrics/metrics.js";
import { openMemoryStore } from "../../../src/store/memory/open-memory-store.js";
import { InThreadRunner } from "../../../src/workers/in-thread-runner.js";

const job = { name: "counts", input: "clicks", batchInterval: "1s", steps: [{ op: "keyBy", key: "user" }, { op: "runningAggregate", aggs: { n: { fn: "count" } } }] };

describe("a job rebuilt after a restart", () => {
  it("cuts the batch that fell due while it was down at once, with what was stored meanwhile", async () => {
    const store = openMemoryStore();
    const clock = new ManualClock(1_700_000_000_000);
    const engine = () => createEngine({ store, runner: new InThreadRunner(), clock, metrics: createMetrics({ defaultMetrics: false }) });
    const first = engine();
    await first.start();
    await first.declareStream({ name: "clicks", partitions: 1 });
    await first.registerJob(job);
    clock.advance(1000);
    await first.whenIdle("counts");
    await first.stop();
    const lastBefore = (await store.batches.last("counts"))!.batchTime;

    // Down for 2.4 s; events arrive meanwhile (through another engine's ingest, as another node would).
    clock.advance(2400);
    await first.ingest("clicks", [{ user: "ann" }, { user: "ann" }]);
    const second = engine();
    await second.start();
    clock.advance(0); // fires timers due now, as the wall clock would at once
    await second.whenIdle("counts");
    const due = Math.floor(clock.now() / 1000) * 1000;
    expect(due).toBeGreaterThan(lastBefore);
    // Without moving the clock: the batch due at the last whole second ran, with the events.
    expect((await store.batches.last("counts"))!.batchTime).toBe(due);
    const { frames } = await second.results("counts", 1, 100);
    expect(frames.at(-1)).toMatchObject({ batchTime: due, rows: [{ key: "ann", n: 2 }] });
    await second.stop();
  });
});
