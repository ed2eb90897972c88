/**
 * aggregate: per batch, one row per key with the named aggregations. Without a keyBy before it, one
 * row for the whole batch — also when the batch is empty, so "how many matched" can answer 0.
 */
import { AggregateSet, type Groups } from "./aggregate-set.js";
import { groupingOf, type KeyOf } from "./key-of.js";
import type { KeyedStage } from "./keyed-stage.js";
import type { Row } from "./operator.js";
import type { Aggregations } from "../query/job-definition.js";

export interface AggregateOptions {
  /** Whether rows are grouped by a key; if not, an empty batch still gives the one global row. */
  readonly keyed: boolean;
  /** The group of a row (default: its `key` field). */
  readonly keyOf?: KeyOf;
}

export function aggregateStage(aggs: Aggregations, { keyed, keyOf }: AggregateOptions): KeyedStage {
  const set = new AggregateSet(aggs, keyOf ?? groupingOf(keyed));
  return {
    partial: (rows, ctx) => set.group(rows, ctx),
    partialSink: () => set.grouping(),
    reducer: (partition) => ({
      reduce(partials) {
        const merged: Groups = new Map();
        for (const partial of partials) set.mergeInto(merged, partial);
        return rowsOf(set, merged, !keyed && partition === 0);
      },
    }),
  };
}

/** Output rows of a set of groups; `emptyGlobalRow` gives the one global row when there are none. */
export function rowsOf(set: AggregateSet, groups: Groups, emptyGlobalRow: boolean): Row[] {
  if (emptyGlobalRow && groups.size === 0) return [set.toRow(set.newEntry(undefined))];
  return [...groups.values()].map((entry) => set.toRow(entry));
}
