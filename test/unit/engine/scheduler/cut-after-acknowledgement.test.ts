/**
 * The promise behind every latency figure: an event acknowledged while the clock read less than batch
 * time B is in batch B or an earlier one; an append in flight across the cut is in B or the next
 * batch, exactly once.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../../../src/engine/clock.js";
import { createEngine, type Engine } from "../../../../src/engine/engine.js";
import { createMetrics } from "../../../../src/metrics/metrics.js";
import { openMemoryStore } from "../../../../src/store/memory/open-memory-store.js";
import type { ResultFrame } from "../../../../src/store/types.js";
import { InThreadRunner } from "../../../../src/workers/in-thread-runner.js";

/** Timers fire up to 1 ms before their time (as Node's setTimeout can against Date.now()), never at once. */
class EarlyClock extends ManualClock {
  override setTimer(at: number, fire: () => void): () => void {
    return super.setTimer(Math.max(at - 1, this.now() + 1), fire);
  }
}

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.stop();
  engine = undefined;
});

async function setup() {
  const store = openMemoryStore();
  const clock = new EarlyClock(10_500);
  engine = createEngine({ store, runner: new InThreadRunner(), clock, metrics: createMetrics({ defaultMetrics: false }), defaultPartitions: 3 });
  await engine.start();
  await engine.declareStream({ name: "s" });
  await engine.registerJob({ name: "j", input: "s", batchInterval: "1s", steps: [{ op: "aggregate", aggs: { n: { fn: "count" } } }] });
  const frames: ResultFrame[] = [];
  await engine.subscribe("j", 1, { frame: (f) => frames.push(f), end: () => undefined });
  return { clock, frames, engine };
}

const events = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ i: from + i }));
const counts = (frames: ResultFrame[]) => frames.map((f) => [f.batchTime, f.rows[0]?.n ?? 0]);

describe("cutting a batch after what was acknowledged before it", () => {
  it("puts events acknowledged 1 ms before the batch time into that batch, though its timer fired early", async () => {
    const { clock, frames, engine } = await setup();
    clock.advanceTo(10_999); // the timer for 11 000 fires here, a millisecond early
    await Promise.all([engine.ingest("s", events(5)), engine.ingest("s", events(7, 5))]);
    expect(clock.now()).toBeLessThan(11_000); // acknowledged before the batch time
    clock.advanceTo(11_000);
    await engine.whenIdle("j");
    clock.advanceTo(12_000);
    await engine.whenIdle("j");
    expect(counts(frames)).toEqual([
      [11_000, 12],
      [12_000, 0],
    ]);
  });

  it("counts an append in flight across the cut exactly once, in that batch or the next", async () => {
    const { clock, frames, engine } = await setup();
    await engine.ingest("s", events(4));
    clock.advanceTo(10_999);
    const inFlight = engine.ingest("s", events(30, 4)); // not yet acknowledged
    clock.advanceTo(11_000);
    await inFlight;
    clock.advanceTo(12_000);
    await engine.whenIdle("j");
    expect(frames.map((f) => f.batchTime)).toEqual([11_000, 12_000]);
    const [first, second] = frames.map((f) => Number(f.rows[0]?.n ?? 0));
    expect(first).toBeGreaterThanOrEqual(4);
    expect(first! + second!).toBe(34);
  });
});
