/**
 * Property tests of the per-row and whole-batch steps (map, filter, flatMap, sample, topK, sort):
 * over random streams, batch splits and partition counts, JobPipeline's output equals a plain
 * recomputation. Unkeyed jobs emit rows in arrival order (partition 0's first), so order is compared.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hashText, unitInterval } from "../../../../src/engine/operators/content-hash.js";
import { aggregateRows, arrived, batchesArb, groupBy, partitionsArb, RUNS, sortedBatches } from "./reference.js";
import { rowsOf, runJob, type Row } from "./run-job.js";

describe("narrow and final steps agree with a plain recomputation", () => {
  it("map set, filter and map project", () => {
    fc.assert(
      fc.property(batchesArb, partitionsArb, fc.integer({ min: -5, max: 20 }), (batches, partitions, threshold) => {
        const steps = [
          { op: "map", set: { twice: "v == null ? null : v * 2" } },
          { op: "filter", where: `v != null && v >= ${threshold}` },
          { op: "map", project: { k: "k", twice: "twice" } },
        ];
        const expected = arrived(batches, partitions).map((rows) => rows.filter((r) => r.v !== null && (r.v as number) >= threshold).map((r) => ({ k: r.k, twice: (r.v as number) * 2 })));
        expect(rowsOf(runJob(steps, batches, { partitions }))).toEqual(expected);
      }),
      RUNS,
    );
  });

  it("flatMap", () => {
    fc.assert(
      fc.property(batchesArb, partitionsArb, (batches, partitions) => {
        const steps = [{ op: "flatMap", expr: "v == null ? [] : [k, w]", as: "part" }];
        const expected = arrived(batches, partitions).map((rows) => rows.flatMap((r) => (r.v === null ? [] : [{ part: r.k }, { part: r.w }])));
        expect(rowsOf(runJob(steps, batches, { partitions }))).toEqual(expected);
      }),
      RUNS,
    );
  });

  it("sample keeps the rows whose hash of (batch time, row) falls under the fraction", () => {
    fc.assert(
      fc.property(batchesArb, partitionsArb, fc.double({ min: 0.05, max: 1, noNaN: true }), fc.nat(1000), (batches, partitions, fraction, seed) => {
        const steps = [{ op: "sample", fraction, seed }];
        const kept = (row: Row, t: number) => unitInterval(hashText(`${t}|${JSON.stringify(row)}`, seed)) < fraction;
        const expected = arrived(batches, partitions).map((rows, i) => rows.filter((r) => kept(r, (i + 1) * 1000)));
        expect(rowsOf(runJob(steps, batches, { partitions }))).toEqual(expected);
      }),
      RUNS,
    );
  });

  it("topK after a per-batch count", () => {
    fc.assert(
      fc.property(batchesArb, partitionsArb, fc.integer({ min: 1, max: 6 }), fc.constantFrom("desc", "asc"), (batches, partitions, k, order) => {
        const steps = [{ op: "keyBy", key: "k" }, { op: "aggregate", aggs: { n: { fn: "count" } } }, { op: "topK", k, by: "n", order }];
        const sign = order === "desc" ? -1 : 1;
        const expected = batches.map((rows) =>
          [...groupBy(rows, (r) => r.k as string)]
            .map(([key, group]) => ({ key, n: group.length }))
            .sort((a, b) => sign * (a.n - b.n) || (a.key < b.key ? -1 : 1))
            .slice(0, k),
        );
        expect(rowsOf(runJob(steps, batches, { partitions }))).toEqual(expected);
      }),
      RUNS,
    );
  });

  it("sort by a field, with and without a limit", () => {
    fc.assert(
      fc.property(batchesArb, partitionsArb, fc.constantFrom("v", "w"), fc.constantFrom("asc", "desc"), fc.option(fc.integer({ min: 1, max: 6 })), (batches, partitions, by, order, limit) => {
        const steps = [{ op: "sort", by, order, ...(limit === null ? {} : { limit }) }];
        const sign = order === "asc" ? 1 : -1;
        const expected = batches.map((rows) => {
          const present = rows.filter((r) => r[by] !== null);
          const missing = rows.filter((r) => r[by] === null);
          const cmp = (a: unknown, b: unknown) => (a! < b! ? -1 : a! > b! ? 1 : 0);
          const sorted = [
            ...present.sort((a, b) => sign * cmp(a[by], b[by]) || cmp(JSON.stringify(a), JSON.stringify(b))),
            ...missing.sort((a, b) => cmp(JSON.stringify(a), JSON.stringify(b))),
          ];
          return limit === null ? sorted : sorted.slice(0, limit);
        });
        expect(rowsOf(runJob(steps, batches, { partitions }))).toEqual(expected);
      }),
      RUNS,
    );
  });

  it("a second aggregate after the keyed one (and a project that drops the key) re-aggregates the batch's rows", () => {
    fc.assert(
      fc.property(batchesArb, partitionsArb, (batches, partitions) => {
        const steps = [
          { op: "keyBy", key: "k" },
          { op: "aggregate", aggs: { n: { fn: "count" } } },
          { op: "map", project: { n: "n" } },
          { op: "aggregate", aggs: { keys: { fn: "count" }, rows: { fn: "sum", of: "n" } } },
        ];
        const expected = batches.map((rows) => [aggregateRows([...groupBy(rows, (r) => r.k)].map(([, g]) => ({ n: g.length })), { keys: { fn: "count" }, rows: { fn: "sum", of: "n" as "v" } })]);
        expect(sortedBatches(rowsOf(runJob(steps, batches, { partitions })))).toEqual(sortedBatches(expected));
      }),
      RUNS,
    );
  });
});
