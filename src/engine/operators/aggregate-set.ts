/**
 * The aggregations of one aggregate step, kept per key in an Entry:
 *
 *   acc   flat numbers: count, sum, min, max, avg (sum and count)
 *   vals  one value per aggregation that is not a number: first, last, collect (a list), and
 *         approxDistinct (a HyperLogLog sketch, itself an array of numbers)
 *
 * count, sum and avg have an inverse, so a sliding window can subtract the batch that leaves it
 * instead of recomputing the whole window; the others do not, and a window holding any of them is
 * merged afresh from its batches' partials.
 *
 * Arrival order (first, last, collect): within a batch, input partition 0's rows in the order they
 * were read, then partition 1's, and so on; across batches, earlier batches first. `mergeInto(into,
 * from)` always treats `into` as the earlier of the two, and callers merge in that order.
 */
import type { AggregateFunctionName, Aggregations } from "../query/job-definition.js";
import { InvertiblePartial } from "./invertible-partial.js";
import { addToSketch, estimateDistinct, mergeSketches, type Sketch } from "./hyper-log-log.js";
import type { Key } from "./key-by.js";
import { rowKey, type KeyOf } from "./key-of.js";
import type { PartialSink } from "./keyed-stage.js";
import { forEachRow, type BatchContext, type Row } from "./operator.js";
import { compileRowExpression, type RowExpression } from "./row-expression.js";
import { forField, StepFieldError } from "./step-field-error.js";

/** The running aggregate of one key: rows seen, each numeric aggregation's slots, the other values. */
export interface Entry {
  key: Key | undefined;
  rows: number;
  acc: number[];
  /** Present when the set has aggregations that are not numbers (first, last, collect, approxDistinct). */
  vals?: unknown[];
}

/** Entries by key; rows without a `key` field (no keyBy) share the `undefined` entry. */
export type Groups = Map<Key | undefined, Entry>;

/** Largest `limit` of collect, and its default. */
export const COLLECT_LIMIT = { max: 10_000, default: 100 } as const;
/** HyperLogLog precision bounds and default (2^11 registers: about 2.3% standard error). */
export const DISTINCT_PRECISION = { min: 4, max: 16, default: 11 } as const;

interface Slot {
  readonly name: string;
  readonly fn: AggregateFunctionName;
  readonly value: RowExpression | undefined;
  /** Position in `acc` (numeric functions) or in `vals` (the others). */
  readonly at: number;
  readonly limit: number;
  readonly precision: number;
}

const WIDTH: Partial<Record<AggregateFunctionName, number>> = { count: 1, sum: 1, min: 1, max: 1, avg: 2 };
const INVERTIBLE: ReadonlySet<AggregateFunctionName> = new Set(["count", "sum", "avg"]);
const isNumeric = (fn: AggregateFunctionName) => WIDTH[fn] !== undefined;

export class AggregateSet {
  private readonly slots: Slot[] = [];
  private readonly width: number;
  private readonly valueCount: number;
  /** True when every aggregation can be subtracted, so windows can slide incrementally. */
  readonly invertible: boolean;

  /** `keyOf` says which group a row belongs to: by default its `key` field. */
  constructor(
    aggs: Aggregations,
    private readonly keyOf: KeyOf = rowKey,
  ) {
    let at = 0;
    let valueAt = 0;
    for (const [name, spec] of Object.entries(aggs)) {
      if (spec.fn !== "count" && spec.of === undefined) {
        throw new StepFieldError(`aggs.${name}.of`, `${spec.fn} needs "of": the expression to aggregate, e.g. "amount"`);
      }
      if (spec.limit !== undefined && spec.fn !== "collect") throw new StepFieldError(`aggs.${name}.limit`, `"limit" applies only to collect; remove it`);
      if (spec.precision !== undefined && spec.fn !== "approxDistinct") {
        throw new StepFieldError(`aggs.${name}.precision`, `"precision" applies only to approxDistinct; remove it`);
      }
      const value = spec.of === undefined ? undefined : forField(`aggs.${name}.of`, () => compileRowExpression(spec.of!));
      const limit = spec.limit ?? COLLECT_LIMIT.default;
      const precision = spec.precision ?? DISTINCT_PRECISION.default;
      const numeric = isNumeric(spec.fn);
      this.slots.push({ name, fn: spec.fn, value, at: numeric ? at : valueAt, limit, precision });
      if (numeric) at += WIDTH[spec.fn]!;
      else valueAt += 1;
    }
    this.width = at;
    this.valueCount = valueAt;
    this.invertible = this.slots.every((s) => INVERTIBLE.has(s.fn));
  }

  newEntry(key: Key | undefined): Entry {
    const acc = new Array<number>(this.width).fill(0);
    const entry: Entry = { key, rows: 0, acc };
    if (this.valueCount > 0) entry.vals = new Array<unknown>(this.valueCount).fill(null);
    for (const s of this.slots) {
      if (s.fn === "min") acc[s.at] = Infinity;
      else if (s.fn === "max") acc[s.at] = -Infinity;
      else if (s.fn === "collect" || s.fn === "approxDistinct") entry.vals![s.at] = [];
    }
    return entry;
  }

  /** Groups one batch's rows by key and aggregates each group. */
  group(rows: readonly Row[], ctx: BatchContext): Groups {
    const grouping = this.grouping();
    forEachRow(rows, ctx, grouping.add);
    return grouping.finish();
  }

  /**
   * Groups rows handed over one at a time (`group` over a stream of rows). `add` throws for a row
   * whose aggregated value is wrong, and that row then adds nothing.
   */
  grouping(): PartialSink {
    const groups: Groups = new Map();
    const values = new Array<unknown>(this.slots.length);
    return {
      add: (row) => {
        const key = this.keyOf(row);
        // Every value is computed before any is added, so a row that fails adds nothing.
        for (let i = 0; i < this.slots.length; i++) {
          const s = this.slots[i]!;
          if (s.value === undefined) values[i] = undefined;
          else {
            const value = s.value(row);
            values[i] = s.fn === "count" ? (value === null ? null : 1) : isNumeric(s.fn) ? numberOrNull(value, s) : value;
          }
        }
        let entry = groups.get(key);
        if (!entry) groups.set(key, (entry = this.newEntry(key)));
        this.addValues(entry, values);
      },
      finish: () => {
        for (const entry of groups.values()) this.trimCollected(entry);
        return groups;
      },
    };
  }

  /** Adds `from` (the later rows) into `into` (the earlier), entry by entry. `from` is not changed. */
  mergeInto(into: Groups, from: Groups): void {
    for (const [key, source] of from) {
      const target = into.get(key);
      if (target) this.mergeEntry(target, source);
      else into.set(key, this.mergeEntry(undefined, source));
    }
  }

  /** Adds `from` (later) into `into` (earlier, changed in place), or into a new entry; returns it. */
  mergeEntry(into: Entry | undefined, from: Entry): Entry {
    const target = into ?? this.newEntry(from.key);
    target.rows += from.rows;
    const a = target.acc;
    const b = from.acc;
    for (const s of this.slots) {
      if (s.fn === "min") a[s.at] = Math.min(a[s.at]!, b[s.at]!);
      else if (s.fn === "max") a[s.at] = Math.max(a[s.at]!, b[s.at]!);
      else if (isNumeric(s.fn)) for (let i = s.at; i < s.at + WIDTH[s.fn]!; i++) a[i] = a[i]! + b[i]!;
      else this.mergeValue(s, target.vals!, from.vals!);
    }
    return target;
  }

  /**
   * Removes `from` out of `into` (only when `invertible`); keys left with no rows are dropped. `from`
   * may be a partial a window keeps compact (see invertible-partial.ts).
   */
  subtractFrom(into: Groups, from: Groups | InvertiblePartial): void {
    if (from instanceof InvertiblePartial) return from.subtractFrom(into);
    for (const [key, source] of from) {
      const target = into.get(key);
      if (!target) continue;
      target.rows -= source.rows;
      if (target.rows <= 0) {
        into.delete(key);
        continue;
      }
      for (let i = 0; i < this.width; i++) target.acc[i] = target.acc[i]! - source.acc[i]!;
    }
  }

  /** The output row of one key: `key` (when keyed) and one field per aggregation. */
  toRow(entry: Entry): Row {
    const row: Row = entry.key === undefined ? {} : { key: entry.key };
    for (const s of this.slots) {
      if (!isNumeric(s.fn)) {
        const v = entry.vals![s.at];
        if (s.fn === "collect") row[s.name] = (v as unknown[]).slice(-s.limit);
        else if (s.fn === "approxDistinct") row[s.name] = estimateDistinct(v as Sketch, s.precision);
        else row[s.name] = v;
        continue;
      }
      const v = entry.acc[s.at]!;
      if (s.fn === "avg") row[s.name] = entry.acc[s.at + 1]! === 0 ? null : v / entry.acc[s.at + 1]!;
      else if (s.fn === "min" || s.fn === "max") row[s.name] = Number.isFinite(v) ? v : null;
      else row[s.name] = v;
    }
    return row;
  }

  private addValues(entry: Entry, values: unknown[]): void {
    entry.rows += 1;
    const a = entry.acc;
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i]!;
      const v = values[i];
      if (s.fn === "count") {
        if (v !== null) a[s.at] = a[s.at]! + 1;
        continue;
      }
      if (v === null || v === undefined) continue;
      if (!isNumeric(s.fn)) this.addValue(s, entry.vals!, v);
      else if (s.fn === "sum") a[s.at] = a[s.at]! + (v as number);
      else if (s.fn === "min") a[s.at] = Math.min(a[s.at]!, v as number);
      else if (s.fn === "max") a[s.at] = Math.max(a[s.at]!, v as number);
      else {
        a[s.at] = a[s.at]! + (v as number);
        a[s.at + 1] = a[s.at + 1]! + 1;
      }
    }
  }

  private addValue(s: Slot, vals: unknown[], v: unknown): void {
    switch (s.fn) {
      case "first":
        if (vals[s.at] === null) vals[s.at] = v;
        break;
      case "last":
        vals[s.at] = v;
        break;
      case "collect": {
        const list = vals[s.at] as unknown[];
        list.push(v);
        // Trimmed in bulk, so a long batch does not shift the list once per row.
        if (list.length >= 2 * s.limit) list.splice(0, list.length - s.limit);
        break;
      }
      default:
        vals[s.at] = addToSketch(vals[s.at] as Sketch, JSON.stringify(v), s.precision);
    }
  }

  private mergeValue(s: Slot, into: unknown[], from: readonly unknown[]): void {
    const b = from[s.at];
    switch (s.fn) {
      case "first":
        if (into[s.at] === null) into[s.at] = b;
        break;
      case "last":
        if (b !== null) into[s.at] = b;
        break;
      case "collect":
        into[s.at] = [...(into[s.at] as unknown[]), ...(b as unknown[])].slice(-s.limit);
        break;
      default:
        into[s.at] = mergeSketches(into[s.at] as Sketch, b as Sketch, s.precision);
    }
  }

  private trimCollected(entry: Entry): void {
    for (const s of this.slots) {
      if (s.fn === "collect") entry.vals![s.at] = (entry.vals![s.at] as unknown[]).slice(-s.limit);
    }
  }
}

function numberOrNull(value: unknown, slot: Slot): number | null {
  if (value === null) return null;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  throw new TypeError(`aggregation "${slot.name}" (${slot.fn}) needs a number, got ${JSON.stringify(value)}`);
}

/** Groups as plain data for a checkpoint or a shuffle, and back. Lists inside `vals` are copied. */
export function groupsToSnapshot(groups: Groups): Entry[] {
  return [...groups.values()].map(copyEntry);
}

export function groupsFromSnapshot(entries: readonly Entry[]): Groups {
  return new Map(entries.map((e) => [e.key, copyEntry(e)]));
}

/** A copy of an entry that shares no list with it. */
export function copyEntry(e: Entry): Entry {
  const copy: Entry = { key: e.key, rows: e.rows, acc: [...e.acc] };
  if (e.vals !== undefined) copy.vals = e.vals.map((v) => (Array.isArray(v) ? [...v] : v));
  return copy;
}
