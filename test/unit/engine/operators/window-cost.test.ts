/**
 * The work a sliding window does per batch, counted rather than timed: with count, sum and avg (all
 * invertible) it merges the entering batch and subtracts the leaving one, so its entry operations per
 * batch do not depend on the window's length; with max (no inverse) each key's partials sit in two
 * stacks (two-stacks-window.ts), so its entry merges per batch do not either (amortized: a key's
 * partials are flipped from one stack to the other once per window).
 */
import { describe, expect, it } from "vitest";
import { AggregateSet, type Entry, type Groups } from "../../../../src/engine/operators/aggregate-set.js";
import type { BatchContext, Row } from "../../../../src/engine/operators/operator.js";
import { windowAggregateStage } from "../../../../src/engine/operators/window-aggregate.js";
import type { Aggregations } from "../../../../src/engine/query/job-definition.js";
import { Duration } from "../../../../src/engine/time.js";

/** Counts every entry merged or subtracted (mergeInto's per entry; mergeEntry's alone, for the two stacks). */
class CountingAggregateSet extends AggregateSet {
  entryOps = 0;
  entryMerges = 0;
  override mergeEntry(into: Entry | undefined, from: Entry): Entry {
    this.entryMerges += 1;
    return super.mergeEntry(into, from);
  }
  override mergeInto(into: Groups, from: Groups): void {
    this.entryOps += from.size;
    super.mergeInto(into, from);
  }
  override subtractFrom(into: Groups, from: Groups): void {
    this.entryOps += from.size;
    super.subtractFrom(into, from);
  }
}

const KEYS = 50;

/**
 * Entry operations (or, with `count: "merges"`, entry merges) of each steady-state batch of a window
 * `lengthBatches` long: `measured` batches once the window is full.
 */
function entryOpsPerBatch(aggs: Aggregations, lengthBatches: number, measured = 20, count: "ops" | "merges" = "ops", slideBatches = 1): number[] {
  const set = new CountingAggregateSet(aggs);
  const second = Duration.ofMs(1000);
  const spec = { length: second.times(lengthBatches), slide: second.times(slideBatches), batchInterval: second };
  const stage = windowAggregateStage(spec, aggs, { keyed: true, set });
  const reducer = stage.reducer(0);
  const perBatch: number[] = [];
  const ops = () => (count === "ops" ? set.entryOps : set.entryMerges);
  for (let b = 0; b < lengthBatches + measured; b++) {
    const ctx: BatchContext = { batchTime: (b + 1) * 1000, onRowError: (e) => { throw e; } };
    // Every batch has the same KEYS keys, with two partials (two map partitions).
    const rows: Row[] = Array.from({ length: KEYS * 4 }, (_, i) => ({ key: `k${i % KEYS}`, v: i }));
    const partials = [stage.partial(rows.slice(0, KEYS * 2), ctx), stage.partial(rows.slice(KEYS * 2), ctx)];
    const before = ops();
    reducer.reduce(partials, ctx);
    if (b >= lengthBatches) perBatch.push(ops() - before);
  }
  return perBatch;
}

describe("sliding window cost per batch", () => {
  const invertible: Aggregations = { n: { fn: "count" }, s: { fn: "sum", of: "v" }, m: { fn: "avg", of: "v" } };

  it("with invertible aggregations, does not grow with the window's length", () => {
    const short = entryOpsPerBatch(invertible, 2);
    const long = entryOpsPerBatch(invertible, 100);
    // The second partial merged into the first (adopted as the batch's partial), that merged into the
    // window, the leaving one subtracted.
    expect(new Set(short)).toEqual(new Set([3 * KEYS]));
    expect(new Set(long)).toEqual(new Set([3 * KEYS]));
  });

  it("with max (no inverse), does not grow with the window's length: each key's partials sit in two stacks", () => {
    const aggs: Aggregations = { hi: { fn: "max", of: "v" } };
    const mean = (list: number[]) => list.reduce((a, b) => a + b, 0) / list.length;
    // Over three windows' worth of batches, so that each key's partials are flipped a whole number of times.
    const short = mean(entryOpsPerBatch(aggs, 2, 6, "merges"));
    const long = mean(entryOpsPerBatch(aggs, 100, 300, "merges"));
    // Per key and batch: the second map partition's entry, the entry onto the back stack, about one
    // flipped, and the slide's read (the front's top merged with the back). Merging the window afresh
    // was 2 + 100 per key in the long window.
    expect(short).toBeLessThanOrEqual(4 * KEYS);
    expect(long).toBeLessThanOrEqual(4 * KEYS);
  });

  it("with max over a tumbling window, the closing batch merges no more than any other batch", () => {
    const aggs: Aggregations = { hi: { fn: "max", of: "v" } };
    // Ten-batch tumbling windows, three of them measured: batches are merged into the window's one
    // slice as they arrive, and the closing batch reads the slice (merging the window's ten batches
    // there was 2 + 10 per key).
    const merges = entryOpsPerBatch(aggs, 10, 30, "merges", 10);
    const closing = merges.filter((_, i) => (i + 1) % 10 === 0);
    const other = merges.filter((_, i) => (i + 1) % 10 !== 0);
    expect(Math.max(...closing)).toBeLessThanOrEqual(Math.max(...other));
    // At most: the second map partition's entry, and at a slice's second batch, its first batch copied
    // into the slice's own map beside the new one.
    expect(Math.max(...other)).toBeLessThanOrEqual(3 * KEYS);
  });
});
