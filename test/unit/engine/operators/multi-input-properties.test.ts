/**
 * Property tests of the steps that read several streams (union, join of every type, cogroup, and
 * their windowed forms) and of repartition. Over random streams, batch splits, partition counts and
 * window sizes, JobPipeline's output equals a recomputation from scratch of every batch (or window)
 * from the inputs' events.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { aggregateRows, arrived, batchesArb, groupBy, partitionsArb, RUNS, sortedBatches, windowArb, windowRows, type Agg } from "./reference.js";
import { rowsOf, runJobInputs, type Row } from "./run-job.js";

type JoinType = "inner" | "left" | "right" | "full";

/** Batches of two inputs: the same number of batches each, split at random. */
const twoInputsArb = fc.integer({ min: 1, max: 8 }).chain((n) =>
  fc.tuple(fc.array(batchesArb.map((b) => b[0] ?? []), { minLength: n, maxLength: n }), fc.array(batchesArb.map((b) => b[0] ?? []), { minLength: n, maxLength: n })),
);

const zip = (left: Row[][], right: Row[][]): Row[][][] => left.map((l, i) => [l, right[i]!]);
const keyBy = { op: "keyBy", key: "k" };
const count: Record<string, Agg> = { n: { fn: "count" }, s: { fn: "sum", of: "v" } };

/** The rows of a naive join of `left` and `right` on `k`. */
function joinOf(left: readonly Row[], right: readonly Row[], type: JoinType): Row[] {
  const out: Row[] = [];
  const keys = new Set([...left, ...right].map((r) => r.k));
  for (const key of keys) {
    const ls = left.filter((r) => r.k === key);
    const rs = right.filter((r) => r.k === key);
    for (const l of ls) for (const r of rs) out.push({ key, left: l, right: r });
    if (rs.length === 0 && (type === "left" || type === "full")) for (const l of ls) out.push({ key, left: l, right: null });
    if (ls.length === 0 && (type === "right" || type === "full")) for (const r of rs) out.push({ key, left: null, right: r });
  }
  return out;
}

function cogroupOf(left: readonly Row[], right: readonly Row[]): Row[] {
  const keys = new Set([...left, ...right].map((r) => r.k));
  return [...keys].map((key) => ({ key, left: left.filter((r) => r.k === key), right: right.filter((r) => r.k === key) }));
}

const engine = (steps: unknown[], batches: Row[][][], partitions: number) => sortedBatches(rowsOf(runJobInputs(steps, batches, { partitions })));

describe("steps over several inputs agree with a recomputation from scratch", () => {
  it("union: each input's own steps, then the shared ones, then a keyed aggregate", () => {
    fc.assert(
      fc.property(twoInputsArb, partitionsArb, ([left, right], partitions) => {
        const steps = [
          { op: "map", set: { from: "'s'" } },
          { op: "union", with: [{ input: "t", steps: [{ op: "map", set: { from: "'t'" } }] }] },
          { op: "filter", where: "v == null || v >= 0" },
          { op: "map", set: { k: "k + from" } },
          keyBy,
          { op: "aggregate", aggs: count },
        ];
        const tagged = (rows: Row[], from: string) => rows.map((r) => ({ ...r, from, k: `${String(r.k)}${from}` }));
        const expected = arrived(left, partitions).map((l, i) => {
          const rows = [...tagged(l, "s"), ...tagged(arrived(right, partitions)[i]!, "t")].filter((r) => r.v === null || (r.v as number) >= 0);
          return [...groupBy(rows, (r) => r.k)].map(([key, group]) => ({ key, ...aggregateRows(group, count) }));
        });
        expect(engine(steps, zip(left, right), partitions)).toEqual(sortedBatches(expected));
      }),
      RUNS,
    );
  });

  it("union of three inputs without a key passes every row on", () => {
    fc.assert(
      fc.property(twoInputsArb, partitionsArb, ([left, right], partitions) => {
        const steps = [{ op: "union", with: [{ input: "t" }, { input: "u", steps: [{ op: "filter", where: "w == 'x'" }] }] }];
        const expected = left.map((l, i) => [...l, ...right[i]!, ...left[i]!.filter((r) => r.w === "x")]);
        expect(engine(steps, left.map((l, i) => [l, right[i]!, l]), partitions)).toEqual(sortedBatches(expected));
      }),
      RUNS,
    );
  });

  it("join of every type, per batch", () => {
    fc.assert(
      fc.property(twoInputsArb, partitionsArb, fc.constantFrom<JoinType>("inner", "left", "right", "full"), ([left, right], partitions, type) => {
        const steps = [keyBy, { op: "join", type, with: { input: "t", steps: [keyBy] } }];
        const expected = left.map((l, i) => joinOf(l, right[i]!, type));
        expect(engine(steps, zip(left, right), partitions)).toEqual(sortedBatches(expected));
      }),
      RUNS,
    );
  });

  it("windowed join of every type: the last `length` batches of both sides, every `slide`", () => {
    fc.assert(
      fc.property(twoInputsArb, partitionsArb, windowArb, fc.constantFrom<JoinType>("inner", "left", "right", "full"), ([left, right], partitions, { length, slide }, type) => {
        const steps = [keyBy, { op: "join", type, with: { input: "t", steps: [keyBy] }, window: { length: `${length}s`, slide: `${slide}s` } }];
        const expected = left.map((_, i) => ((i + 1) % slide === 0 ? joinOf(windowRows(left, i, length), windowRows(right, i, length), type) : null));
        expect(engine(steps, zip(left, right), partitions)).toEqual(sortedBatches(expected));
      }),
      RUNS,
    );
  });

  it("cogroup, per batch and windowed: each side's rows in arrival order", () => {
    fc.assert(
      fc.property(twoInputsArb, partitionsArb, fc.option(windowArb, { nil: undefined }), ([left, right], partitions, window) => {
        const steps = [keyBy, { op: "cogroup", with: { input: "t", steps: [keyBy] }, ...(window ? { window: { length: `${window.length}s`, slide: `${window.slide}s` } } : {}) }];
        const [l, r] = [arrived(left, partitions), arrived(right, partitions)];
        const expected = left.map((_, i) => {
          if (!window) return cogroupOf(l[i]!, r[i]!);
          return (i + 1) % window.slide === 0 ? cogroupOf(windowRows(l, i, window.length), windowRows(r, i, window.length)) : null;
        });
        expect(engine(steps, zip(left, right), partitions)).toEqual(sortedBatches(expected));
      }),
      RUNS,
    );
  });

  it("repartition changes where keys are reduced, not what comes out", () => {
    fc.assert(
      fc.property(batchesArb, partitionsArb, fc.integer({ min: 1, max: 6 }), (batches, partitions, reducePartitions) => {
        const steps = [keyBy, { op: "repartition", partitions: reducePartitions }, { op: "aggregate", aggs: count }];
        const expected = arrived(batches, partitions).map((rows) => [...groupBy(rows, (r) => r.k)].map(([key, group]) => ({ key, ...aggregateRows(group, count) })));
        expect(engine(steps, batches.map((b) => [b]), partitions)).toEqual(sortedBatches(expected));
      }),
      RUNS,
    );
  });
});

describe("a hot key", () => {
  it("joins and cogroups 200,000 rows of one key without running out of stack", () => {
    const many = Array.from({ length: 200_000 }, (_, i) => ({ k: "hot", v: i }));
    const steps = [keyBy, { op: "cogroup", with: { input: "t", steps: [keyBy] }, window: { length: "2s" } }];
    const [first, second] = runJobInputs(steps, [[many, [{ k: "hot", v: -1 }]], [[], []]]).map((o) => o?.rows as Row[]);
    expect((first![0]!.left as Row[]).length).toBe(200_000);
    expect((second![0]!.left as Row[]).length).toBe(200_000);
    expect((second![0]!.right as Row[]).length).toBe(1);
  });
});
