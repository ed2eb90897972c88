/**
 * Plain reference implementations for the property tests: each recomputes its answer from scratch
 * from the rows it is given, with no incremental state, no partials and no merging.
 */
import fc from "fast-check";
import { addToSketch, estimateDistinct } from "../../../../src/engine/operators/hyper-log-log.js";
import { arrivalOrder, type Row } from "./run-job.js";

/** An event of the generated streams: a key `k`, a number or null `v`, a word `w`. */
export type Event = {
  k: string;
  v: number | null;
  w: string;
};

export const eventArb: fc.Arbitrary<Event> = fc.record({
  k: fc.constantFrom("a", "b", "c", "d", "e"),
  v: fc.oneof(fc.integer({ min: -5, max: 20 }), fc.constant(null)),
  w: fc.constantFrom("x", "y", "z"),
});

/** Up to 8 batches of up to 10 events (empty batches included): a random split of a random stream. */
export const batchesArb = fc.array(fc.array(eventArb, { maxLength: 10 }), { minLength: 1, maxLength: 8 });
export const partitionsArb = fc.integer({ min: 1, max: 4 });

/** Property-test runs per property: enough to find an order or window bug, few enough to stay fast. */
export const RUNS = { numRuns: 60 } as const;

export type Fn = "count" | "sum" | "min" | "max" | "avg" | "first" | "last" | "collect" | "approxDistinct";
export interface Agg {
  fn: Fn;
  of?: "v" | "w";
  limit?: number;
}

export const invertibleAggsArb: fc.Arbitrary<Record<string, Agg>> = fc.record(
  { n: fc.constant<Agg>({ fn: "count" }), nv: fc.constant<Agg>({ fn: "count", of: "v" }), s: fc.constant<Agg>({ fn: "sum", of: "v" }), m: fc.constant<Agg>({ fn: "avg", of: "v" }) },
  { requiredKeys: ["n"] },
);

export const anyAggsArb: fc.Arbitrary<Record<string, Agg>> = fc.record(
  {
    n: fc.constant<Agg>({ fn: "count" }),
    s: fc.constant<Agg>({ fn: "sum", of: "v" }),
    lo: fc.constant<Agg>({ fn: "min", of: "v" }),
    hi: fc.constant<Agg>({ fn: "max", of: "v" }),
    m: fc.constant<Agg>({ fn: "avg", of: "v" }),
    f: fc.constantFrom<Agg>({ fn: "first", of: "v" }, { fn: "first", of: "w" }),
    l: fc.constantFrom<Agg>({ fn: "last", of: "v" }, { fn: "last", of: "w" }),
    c: fc.integer({ min: 1, max: 6 }).map<Agg>((limit) => ({ fn: "collect", of: "v", limit })),
    d: fc.constantFrom<Agg>({ fn: "approxDistinct", of: "v" }, { fn: "approxDistinct", of: "w" }),
  },
  { requiredKeys: ["n"] },
);

/** The aggregations of `rows` (in arrival order), computed directly. */
export function aggregateRows(rows: readonly Row[], aggs: Record<string, Agg>): Row {
  const out: Row = {};
  for (const [name, { fn, of, limit }] of Object.entries(aggs)) {
    const values = of === undefined ? rows.map(() => 1) : rows.map((r) => r[of] ?? null).filter((v) => v !== null);
    const numbers = values as number[];
    switch (fn) {
      case "count":
        out[name] = values.length;
        break;
      case "sum":
        out[name] = numbers.reduce((a, b) => a + b, 0);
        break;
      case "min":
        out[name] = numbers.length === 0 ? null : Math.min(...numbers);
        break;
      case "max":
        out[name] = numbers.length === 0 ? null : Math.max(...numbers);
        break;
      case "avg":
        out[name] = numbers.length === 0 ? null : numbers.reduce((a, b) => a + b, 0) / numbers.length;
        break;
      case "first":
        out[name] = values[0] ?? null;
        break;
      case "last":
        out[name] = values.at(-1) ?? null;
        break;
      case "collect":
        out[name] = values.slice(-(limit ?? 100));
        break;
      case "approxDistinct": {
        let sketch: number[] = [];
        for (const v of values) sketch = addToSketch(sketch, JSON.stringify(v), 11);
        out[name] = estimateDistinct(sketch, 11);
        break;
      }
    }
  }
  return out;
}

/** Rows grouped by a key function, keys in first-seen order, rows in order. */
export function groupBy<K>(rows: readonly Row[], keyOf: (row: Row) => K): Map<K, Row[]> {
  const groups = new Map<K, Row[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}

/** Every batch's rows in arrival order over `partitions`. */
export function arrived(batches: readonly Row[][], partitions: number): Row[][] {
  return batches.map((batch) => arrivalOrder(batch, partitions));
}

/** The batches of the window ending at batch `i` (`length` batches long), oldest first, flattened. */
export function windowRows(batches: readonly Row[][], i: number, length: number): Row[] {
  return batches.slice(Math.max(0, i - length + 1), i + 1).flat();
}

/** A window size in batches and a slide in batches, slide <= length. */
export const windowArb = fc.integer({ min: 1, max: 5 }).chain((length) => fc.record({ length: fc.constant(length), slide: fc.integer({ min: 1, max: length }) }));

/** Batch outputs as multisets of rows (reduce partitions emit in partition order), fields in any order. */
export function sortedBatches(outputs: (Row[] | null)[]): (string[] | null)[] {
  return outputs.map((rows) => (rows === null ? null : rows.map(canonical).sort()));
}

/** JSON text with object fields sorted, so that field order does not matter. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}
