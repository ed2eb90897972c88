/**
 * Property tests of the keyed steps: aggregate (every function), window + aggregate (invertible and
 * not), runningAggregate (with and without ttl), countByValue, distinct, countByWindow,
 * reduceByWindow and countByValueAndWindow. Over random streams, batch splits, partition counts and
 * window sizes, JobPipeline's output equals a recomputation from scratch of every batch (or window).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  aggregateRows, anyAggsArb, arrived, batchesArb, groupBy, invertibleAggsArb, partitionsArb, RUNS, sortedBatches, windowArb, windowRows,
  type Agg,
} from "./reference.js";
import { rowsOf, runJob, type Row } from "./run-job.js";

/** One row per key of `rows` (keyed by `keyOf`), `{key, ...aggs}`. */
function perKey(rows: readonly Row[], aggs: Record<string, Agg>, keyOf: (r: Row) => unknown = (r) => r.k): Row[] {
  return [...groupBy(rows, keyOf)].map(([key, group]) => ({ key, ...aggregateRows(group, aggs) }));
}

/** The output of a window job at batch i: null between slides. */
function slides<T>(count: number, slide: number, at: (i: number) => T): (T | null)[] {
  return Array.from({ length: count }, (_, i) => ((i + 1) % slide === 0 ? at(i) : null));
}

const engine = (steps: unknown[], batches: Row[][], partitions: number) => sortedBatches(rowsOf(runJob(steps, batches, { partitions })));

describe("keyed steps agree with a recomputation from scratch", () => {
  it("aggregate per key, every function", () => {
    fc.assert(
      fc.property(batchesArb, partitionsArb, anyAggsArb, (batches, partitions, aggs) => {
        const expected = arrived(batches, partitions).map((rows) => perKey(rows, aggs));
        expect(engine([{ op: "keyBy", key: "k" }, { op: "aggregate", aggs }], batches, partitions)).toEqual(sortedBatches(expected));
      }),
      RUNS,
    );
  });

  it("aggregate without a key: one row per batch, also when empty", () => {
    fc.assert(
      fc.property(batchesArb, partitionsArb, anyAggsArb, (batches, partitions, aggs) => {
        const expected = arrived(batches, partitions).map((rows) => [aggregateRows(rows, aggs)]);
        expect(engine([{ op: "aggregate", aggs }], batches, partitions)).toEqual(sortedBatches(expected));
      }),
      RUNS,
    );
  });

  it("window + aggregate, invertible (incremental) and not (merged), keyed or not", () => {
    fc.assert(
      fc.property(batchesArb, partitionsArb, windowArb, fc.oneof(invertibleAggsArb, anyAggsArb), fc.boolean(), (batches, partitions, { length, slide }, aggs, keyed) => {
        const steps = [...(keyed ? [{ op: "keyBy", key: "k" }] : []), { op: "window", length: `${length}s`, slide: `${slide}s` }, { op: "aggregate", aggs }];
        const rows = arrived(batches, partitions);
        const expected = slides(batches.length, slide, (i) => (keyed ? perKey(windowRows(rows, i, length), aggs) : [aggregateRows(windowRows(rows, i, length), aggs)]));
        expect(engine(steps, batches, partitions)).toEqual(sortedBatches(expected));
      }),
      RUNS,
    );
  });

  it("runningAggregate, with an optional ttl", () => {
    fc.assert(
      fc.property(batchesArb, partitionsArb, anyAggsArb, fc.option(fc.integer({ min: 1, max: 4 })), (batches, partitions, aggs, ttl) => {
        const steps = [{ op: "keyBy", key: "k" }, { op: "runningAggregate", aggs, ...(ttl === null ? {} : { ttl: `${ttl}s` }) }];
        // Each live key's rows since it was (re)started, and the batch it last had rows.
        const live = new Map<unknown, { rows: Row[]; seen: number }>();
        const expected = arrived(batches, partitions).map((rows, i) => {
          for (const [key, group] of groupBy(rows, (r) => r.k)) {
            const held = live.get(key);
            live.set(key, { rows: [...(held?.rows ?? []), ...group], seen: i });
          }
          for (const [key, { seen }] of live) if (ttl !== null && i - seen >= ttl) live.delete(key);
          return [...live].map(([key, { rows: all }]) => ({ key, ...aggregateRows(all, aggs) }));
        });
        expect(engine(steps, batches, partitions)).toEqual(sortedBatches(expected));
      }),
      RUNS,
    );
  });

  it("countByValue and distinct", () => {
    fc.assert(
      fc.property(batchesArb, partitionsArb, fc.constantFrom("w", "v", "k + w"), (batches, partitions, of) => {
        const valueOf = (r: Row) => (of === "k + w" ? `${r.k}${r.w}` : r[of]);
        const counts = batches.map((rows) => [...groupBy(rows, valueOf)].map(([key, g]) => ({ key, count: g.length })));
        expect(engine([{ op: "countByValue", of }], batches, partitions)).toEqual(sortedBatches(counts));
        const distinct = batches.map((rows) => [...groupBy(rows, valueOf).keys()].map((key) => ({ key })));
        expect(engine([{ op: "distinct", of }], batches, partitions)).toEqual(sortedBatches(distinct));
        expect(engine([{ op: "keyBy", key: of }, { op: "distinct" }], batches, partitions)).toEqual(sortedBatches(distinct));
      }),
      RUNS,
    );
  });

  it("countByWindow, reduceByWindow and countByValueAndWindow", () => {
    fc.assert(
      fc.property(batchesArb, partitionsArb, windowArb, anyAggsArb, (batches, partitions, { length, slide }, aggs) => {
        const window = { length: `${length}s`, slide: `${slide}s` };
        const rows = arrived(batches, partitions);
        const count = slides(batches.length, slide, (i) => [{ count: windowRows(rows, i, length).length }]);
        expect(engine([{ op: "keyBy", key: "k" }, { op: "countByWindow", ...window }], batches, partitions)).toEqual(sortedBatches(count));
        const reduced = slides(batches.length, slide, (i) => [aggregateRows(windowRows(rows, i, length), aggs)]);
        expect(engine([{ op: "keyBy", key: "k" }, { op: "reduceByWindow", ...window, aggs }], batches, partitions)).toEqual(sortedBatches(reduced));
        const byValue = slides(batches.length, slide, (i) => [...groupBy(windowRows(rows, i, length), (r) => r.w)].map(([key, g]) => ({ key, count: g.length })));
        expect(engine([{ op: "countByValueAndWindow", of: "w", ...window }], batches, partitions)).toEqual(sortedBatches(byValue));
      }),
      RUNS,
    );
  });
});
