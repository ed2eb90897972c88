/**
 * A window's compact partial (count, sum and avg only) is the same partial as the Groups it was made
 * from: it gives back the same entries, subtracts exactly as the aggregate set subtracts Groups, and a
 * window checkpointed with compact partials is restored to the same answers as one that never was.
 */
import { describe, expect, it } from "vitest";
import { AggregateSet, copyEntry, type Groups } from "../../../../src/engine/operators/aggregate-set.js";
import { InvertiblePartial } from "../../../../src/engine/operators/invertible-partial.js";
import type { BatchContext, Row } from "../../../../src/engine/operators/operator.js";
import { windowAggregateStage } from "../../../../src/engine/operators/window-aggregate.js";
import type { Aggregations } from "../../../../src/engine/query/job-definition.js";
import { decodeState, encodeState } from "../../../../src/engine/stages/shuffle-codec.js";
import { Duration } from "../../../../src/engine/time.js";

const aggs: Aggregations = { n: { fn: "count" }, s: { fn: "sum", of: "v" }, m: { fn: "avg", of: "v" } };
const ctx = (batchTime: number): BatchContext => ({ batchTime, onRowError: (e) => { throw e; } });
// Keys come and go: a key of batch b is in batches b-2..b at most, so keys leave a 3 s window.
const rowsOf = (batch: number): Row[] => Array.from({ length: 40 }, (_, i) => ({ key: `k${batch + (i % 3)}-${i % 4}`, v: i + batch }));
const copyOf = (groups: Groups): Groups => new Map([...groups].map(([k, e]) => [k, copyEntry(e)]));

describe("InvertiblePartial", () => {
  const set = new AggregateSet(aggs);

  it("gives back the entries it was made from", () => {
    const groups = set.group(rowsOf(1), ctx(1000));
    expect(InvertiblePartial.of(groups).entries()).toEqual([...groups.values()]);
    expect(InvertiblePartial.of(new Map()).entries()).toEqual([]);
  });

  it("subtracts as the aggregate set subtracts the same Groups, dropping keys left with no rows", () => {
    const window = set.group([...rowsOf(1), ...rowsOf(2)], ctx(2000));
    const leaving = set.group(rowsOf(1), ctx(1000));
    const expected = copyOf(window);
    set.subtractFrom(expected, leaving);
    const actual = copyOf(window);
    set.subtractFrom(actual, InvertiblePartial.of(leaving));
    expect(actual).toEqual(expected);
    set.subtractFrom(actual, InvertiblePartial.of(set.group(rowsOf(2), ctx(2000))));
    expect(actual.size).toBe(0);
  });

  it("checkpoints and restores a window to the same answers as one never checkpointed", () => {
    const second = Duration.ofMs(1000);
    const stage = windowAggregateStage({ length: second.times(3), slide: second, batchInterval: second }, aggs, { keyed: true });
    const straight = stage.reducer(0);
    let restored = stage.reducer(0);
    for (let b = 1; b <= 9; b++) {
      const partial = () => [stage.partial(rowsOf(b), ctx(b * 1000))];
      const expected = straight.reduce(partial(), ctx(b * 1000));
      expect(restored.reduce(partial(), ctx(b * 1000))).toEqual(expected);
      // Through the checkpoint codec each batch, so every partial is sealed, packed and read back.
      const again = stage.reducer(0);
      again.state!.restore(decodeState(encodeState(restored.state!.snapshot())));
      restored = again;
    }
  });
});
