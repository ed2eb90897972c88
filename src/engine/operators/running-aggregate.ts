/**
 * runningAggregate (updateStateByKey): all-time aggregates per key, carried from batch to batch.
 * Every batch emits the totals of every key held. With `ttl`, a key that got no rows for that long
 * (in batch time) is dropped, so state cannot grow without bound when keys come and go.
 */
import { groupingOf } from "./key-of.js";
import { AggregateSet, copyEntry, type Entry } from "./aggregate-set.js";
import { ExpiringState, type ExpiringEntry } from "./expiring-state.js";
import type { KeyedStage } from "./keyed-stage.js";
import type { Row } from "./operator.js";
import type { Aggregations } from "../query/job-definition.js";
import type { Duration } from "../time.js";

export interface RunningAggregateOptions {
  readonly keyed: boolean;
  /** Drop a key after this long without rows. */
  readonly ttl?: Duration;
}

/** Without a ttl, the entries (the format before ttl existed); with one, each with its last update. */
type Snapshot = Entry[] | { entries: ExpiringEntry<Entry>[] };

export function runningAggregateStage(aggs: Aggregations, { keyed, ttl }: RunningAggregateOptions): KeyedStage {
  const set = new AggregateSet(aggs, groupingOf(keyed));
  return {
    partial: (rows, ctx) => set.group(rows, ctx),
    partialSink: () => set.grouping(),
    reducer(partition) {
      const totals = new ExpiringState<Entry>(ttl?.ms);
      return {
        reduce(partials, ctx) {
          for (const partial of partials) {
            for (const [key, entry] of partial) totals.set(key, set.mergeEntry(totals.get(key), entry), ctx.batchTime);
          }
          totals.expire(ctx.batchTime);
          const rows: Row[] = [];
          for (const entry of totals.values()) rows.push(set.toRow(entry));
          if (rows.length === 0 && !keyed && partition === 0) rows.push(set.toRow(set.newEntry(undefined)));
          return rows;
        },
        state: {
          snapshot: (): Snapshot => {
            if (ttl === undefined) return [...totals.values()].map(copyEntry);
            return { entries: totals.snapshot(copyEntry) };
          },
          restore: (snapshot) => {
            const s = snapshot as Snapshot;
            totals.restore(Array.isArray(s) ? s.map((e) => [e.key, copyEntry(e), 0]) : s.entries.map(([k, e, seen]) => [k, copyEntry(e), seen]));
          },
          size: () => totals.size,
          lookup: (key) => {
            const entry = totals.get(key);
            return entry && set.toRow(entry);
          },
        },
      };
    },
  };
}
