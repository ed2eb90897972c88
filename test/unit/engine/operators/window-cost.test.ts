/**
 * The work a sliding window does per batch, counted rather than timed: with count, sum and avg (all
 * invertible) it merges the entering batch and subtracts the leaving one, so its entry operations per
 * batch do not depend on the window's length; with max (no inverse) it re-merges every batch in the
 * window at each slide, so they grow with it.
 */
import { describe, expect, it } from "vitest";
import { AggregateSet, type Groups } from "../../../../src/engine/operators/aggregate-set.js";
import type { BatchContext, Row } from "../../../../src/engine/operators/operator.js";
import { windowAggregateStage } from "../../../../src/engine/operators/window-aggregate.js";
import type { Aggregations } from "../../../../src/engine/query/job-definition.js";
import { Duration } from "../../../../src/engine/time.js";

/** Counts every entry merged or subtracted. */
class CountingAggregateSet extends AggregateSet {
  entryOps = 0;
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
const BATCHES = 120;

/** Entry operations of each steady-state batch (once the window is full) of a window `lengthBatches` long. */
function entryOpsPerBatch(aggs: Aggregations, lengthBatches: number): number[] {
  const set = new CountingAggregateSet(aggs);
  const second = Duration.ofMs(1000);
  const spec = { length: second.times(lengthBatches), slide: second, batchInterval: second };
  const stage = windowAggregateStage(spec, aggs, { keyed: true, set });
  const reducer = stage.reducer(0);
  const perBatch: number[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const ctx: BatchContext = { batchTime: (b + 1) * 1000, onRowError: (e) => { throw e; } };
    // Every batch has the same KEYS keys, with two partials (two map partitions).
    const rows: Row[] = Array.from({ length: KEYS * 4 }, (_, i) => ({ key: `k${i % KEYS}`, v: i }));
    const partials = [stage.partial(rows.slice(0, KEYS * 2), ctx), stage.partial(rows.slice(KEYS * 2), ctx)];
    const before = set.entryOps;
    reducer.reduce(partials, ctx);
    if (b >= lengthBatches) perBatch.push(set.entryOps - before);
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

  it("with max (no inverse), grows with the window's length: each slide merges every batch in it", () => {
    const aggs: Aggregations = { hi: { fn: "max", of: "v" } };
    const [short] = entryOpsPerBatch(aggs, 2);
    const [long] = entryOpsPerBatch(aggs, 100);
    expect(short).toBe(KEYS + 2 * KEYS);
    expect(long).toBe(KEYS + 100 * KEYS);
  });
});
