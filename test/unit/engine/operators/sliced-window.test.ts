/**
 * Windows whose aggregations have no inverse (min, max, first, last, collect, approxDistinct) keep
 * each key's partials in two stacks (two-stacks-window.ts) instead of merging the window afresh. Over
 * random streams with sparse keys (so keys leave the window and come back), windows up to 12 batches
 * long, any slide, emit "all" or "changes", and a checkpoint taken after any batch and restored into
 * a fresh pipeline, every slide equals the window recomputed from its rows; and a state query of a
 * key after any batch, also between slides, gives its aggregate over (t - length, t].
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JobPipeline } from "../../../../src/engine/job-pipeline.js";
import type { Aggregations } from "../../../../src/engine/query/job-definition.js";
import { compileJob } from "../../../../src/engine/query/compile-job.js";
import type { BatchContext } from "../../../../src/engine/operators/operator.js";
import { windowAggregateStage } from "../../../../src/engine/operators/window-aggregate.js";
import { Duration } from "../../../../src/engine/time.js";
import { aggregateRows, anyAggsArb, arrived, canonical, groupBy, partitionsArb, windowRows, type Agg } from "./reference.js";
import type { Row } from "./run-job.js";

/** Keys drawn from ten, most batches holding a few: a key is often absent for longer than a window. */
const sparseEventArb = fc.record({
  k: fc.constantFrom("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"),
  v: fc.oneof(fc.integer({ min: -50, max: 50 }), fc.constant(null)),
  w: fc.constantFrom("x", "y", "z"),
});
const longBatchesArb = fc.array(fc.array(sparseEventArb, { maxLength: 4 }), { minLength: 1, maxLength: 30 });
const longWindowArb = fc.integer({ min: 1, max: 12 }).chain((length) => fc.record({ length: fc.constant(length), slide: fc.integer({ min: 1, max: length }) }));
/** Any aggregations, always with one that has no inverse. */
const mergedAggsArb = fc.tuple(anyAggsArb, fc.constantFrom<Agg>({ fn: "max", of: "v" }, { fn: "min", of: "v" }, { fn: "last", of: "w" }, { fn: "collect", of: "w", limit: 3 })).map(([aggs, extra]) => ({ ...aggs, x: extra }));

/** The window's rows, one per key, as canonical JSON sorted: what "all" sends and what "changes" rebuild. */
function expectedWindow(rows: readonly Row[][], i: number, length: number, aggs: Record<string, Agg>): string[] {
  return [...groupBy(windowRows(rows, i, length), (r) => r.k)].map(([key, group]) => canonical({ key, ...aggregateRows(group, aggs) })).sort();
}

describe("windows without an inverse slide on two stacks", () => {
  it("every slide equals the window recomputed, with a checkpoint after any batch", () => {
    fc.assert(
      fc.property(longBatchesArb, partitionsArb, longWindowArb, mergedAggsArb, fc.constantFrom("all", "changes"), fc.nat(), (batches, partitions, { length, slide }, aggs, emit, cut) => {
        const steps = [{ op: "keyBy", key: "k" }, { op: "window", length: `${length}s`, slide: `${slide}s`, emit }, { op: "aggregate", aggs }];
        const plan = compileJob({ name: "t", input: "s", steps });
        const errors = { count: 0 };
        const at = cut % batches.length;
        let pipeline = new JobPipeline(plan, partitions);
        const held = new Map<unknown, string>();
        const rows = arrived(batches, partitions);
        batches.forEach((batch, i) => {
          if (i === at) {
            const resumed = new JobPipeline(plan, partitions);
            resumed.restore(pipeline.snapshot());
            pipeline = resumed;
          }
          const out = pipeline.process((i + 1) * 1000, batch, errors);
          if ((i + 1) % slide !== 0) return;
          if (emit === "all") {
            expect(out?.rows.map(canonical).sort(), `slide at batch ${i + 1}`).toEqual(expectedWindow(rows, i, length, aggs));
            return;
          }
          for (const row of out?.rows ?? []) {
            if (row.removed === true) held.delete(row.key);
            else held.set(row.key, canonical(row));
          }
          expect([...held.values()].sort(), `slide at batch ${i + 1}`).toEqual(expectedWindow(rows, i, length, aggs));
        });
        expect(errors.count).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it("a state query after any batch gives the key's aggregate over (t - length, t]", () => {
    fc.assert(
      fc.property(longBatchesArb, longWindowArb, mergedAggsArb, (batches, { length, slide }, aggs) => {
        const second = Duration.ofMs(1000);
        const stage = windowAggregateStage({ length: second.times(length), slide: second.times(slide), batchInterval: second }, aggs as Aggregations, { keyed: true });
        const reducer = stage.reducer(0);
        const rows = batches.map((batch) => batch.map((e) => ({ key: e.k, v: e.v, w: e.w })));
        rows.forEach((batch, i) => {
          const ctx: BatchContext = { batchTime: (i + 1) * 1000, onRowError: (e) => { throw e; } };
          reducer.reduce([stage.partial(batch, ctx)], ctx);
          const expected = groupBy(windowRows(rows, i, length), (r) => r.key);
          for (const key of ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]) {
            const group = expected.get(key);
            const got = reducer.state!.lookup!(key);
            expect(got === undefined ? undefined : canonical(got), `key ${key} after batch ${i + 1}`).toEqual(group && canonical({ key, ...aggregateRows(group, aggs) }));
          }
        });
      }),
      { numRuns: 100 },
    );
  });
});
