/**
 * window + aggregate (reduceByKeyAndWindow), and the windowed sugar built on it (countByWindow,
 * reduceByWindow, countByValueAndWindow): aggregates per key over the last `length` of batch time,
 * emitted every `slide`. Each batch's merged partial is kept once; the window holds one per batch
 * whose time is in (end - length, end] (batch-window.ts: after a restart, batch times jump).
 *
 * When every aggregation has an inverse (count, sum, avg), sliding costs O(batch), not O(window):
 *
 *        old window (ends at t - batch)
 *     |<------------------------------->|
 *     [ p1 ][ p2 ][ p3 ] ... [ pN-1 ][ pN ][ pN+1 ]
 *           |<------------------------------------>|
 *                  new window (ends at t)
 *
 *     window(t) = window(t - batch) + pN+1 - p1     (minus every partial that left by time)
 *
 * With min, max, first, last, collect or approxDistinct in the set there is no inverse: batches are
 * merged by slices of gcd(length, slide) as they arrive, and the slices kept per key in two stacks
 * (sliced-window.ts, two-stacks-window.ts), so a batch costs O(keys entering + keys leaving) too, a
 * slide reads each key's aggregate with one merge, and a tumbling window's closing batch only reads
 * its one slice; the window's partials are never merged afresh (first and last keep arrival order).
 *
 * With `emit: "changes"` a slide emits only the keys that changed and those that left (see
 * window-changes.ts); a key's aggregate is then looked up alone, and the whole window is never read.
 */
import { rowsOf } from "./aggregate.js";
import { groupingOf } from "./key-of.js";
import { AggregateSet, groupsFromSnapshot, groupsToSnapshot, type Entry, type Groups } from "./aggregate-set.js";
import { globalKey, type KeyOf } from "./key-of.js";
import type { Key } from "./key-by.js";
import type { KeyedStage } from "./keyed-stage.js";
import { BatchWindow } from "./batch-window.js";
import { InvertiblePartial } from "./invertible-partial.js";
import { SlicedWindow, sliceOf } from "./sliced-window.js";
import { Sealed } from "./sealed.js";
import { REMOVED_FIELD, WindowChanges, type CurrentEntry, type TouchedKey, type WindowEmit } from "./window-changes.js";
import { StepFieldError } from "./step-field-error.js";
import type { Aggregations } from "../query/job-definition.js";
import type { Duration } from "../time.js";

export interface WindowSpec {
  readonly length: Duration;
  readonly slide: Duration;
  readonly batchInterval: Duration;
}

export interface WindowOptions {
  /** Whether rows are grouped by a key; if not, every slide gives the one global row, even when empty. */
  readonly keyed: boolean;
  /** The group of a row (default: its `key` field). */
  readonly keyOf?: KeyOf;
  /** The aggregation set to use; tests pass an instrumented one to count the work per batch. */
  readonly set?: AggregateSet;
  /** Every slide, every key of the window ("all", the default) or only what changed ("changes"). */
  readonly emit?: WindowEmit;
}

interface WindowSnapshot {
  /** The window's batches, oldest first (with their times; see batch-window.ts). */
  partials: (Sealed<Entry[]> | Entry[])[];
  times?: number[];
  window: Entry[];
  /** emit "changes": the keys touched since the last slide (absent in checkpoints of emit "all"). */
  touched?: TouchedKey[];
  /** Without an inverse: the order the window gives its keys in (it depends on their history). */
  order?: (Key | undefined)[];
}

export function windowAggregateStage(spec: WindowSpec, aggs: Aggregations, options: WindowOptions): KeyedStage {
  if (options.emit === "changes" && REMOVED_FIELD in aggs) {
    throw new StepFieldError(`aggs.${REMOVED_FIELD}`, `with emit "changes", "${REMOVED_FIELD}" marks the rows of keys that left the window; give the aggregation another name`);
  }
  const set = options.set ?? new AggregateSet(aggs, options.keyOf ?? groupingOf(options.keyed));
  return {
    partial: (rows, ctx) => set.group(rows, ctx),
    partialSink: () => set.grouping(),
    emitsChanges: options.emit === "changes",
    reducer(partition) {
      // With an inverse for every aggregation, a partial is only subtracted once it leaves: it is kept
      // in the compact form of invertible-partial.ts. Without, partials stay Groups, merged by slices
      // (sliced-window.ts), and leave the window by whole slices.
      const sliceMs = sliceOf(spec.length.ms, spec.slide.ms);
      const partials = new BatchWindow<Groups | InvertiblePartial, Entry[]>(spec.length.ms, spec.batchInterval.ms, set.invertible ? undefined : sliceMs);
      const asGroups = (part: Groups | InvertiblePartial): Groups => (part instanceof InvertiblePartial ? part.toGroups() : part);
      let window: Groups = new Map();
      // Without an inverse, each key's aggregate over the window's closed slices (every part is Groups then).
      const newSlices = () => new SlicedWindow(set, sliceMs, spec.length.ms / sliceMs);
      let slices = newSlices();
      const changes = options.emit === "changes" ? new WindowChanges(set, options.keyed) : undefined;
      const current: CurrentEntry = (key) => (set.invertible ? window.get(key) : slices.get(key));
      /**
       * Without an inverse, a key's aggregate over (t - length, t] for the last batch t, merged from the
       * batches (for state queries: between slides the slices may hold a little more, see batch-window.ts).
       */
      const latestWindow: CurrentEntry = (key) => {
        const times = partials.times();
        const from = times && times.length > 0 ? times[times.length - 1]! - spec.length.ms : -Infinity;
        let merged: Entry | undefined;
        partials.values().forEach((part, i) => {
          const entry = (times === undefined || times[i]! > from) && asGroups(part).get(key);
          if (entry) merged = set.mergeEntry(merged, entry);
        });
        return merged;
      };
      return {
        reduce(batchPartials, ctx) {
          // The partials are this batch's own (fresh from the shuffle): the first one is adopted as the
          // batch's partial and the others are merged into it, in map-partition order.
          const partial: Groups = batchPartials[0] ?? new Map();
          for (const p of batchPartials.slice(1)) set.mergeInto(partial, p);
          changes?.touch(partial, current);
          if (set.invertible) set.mergeInto(window, partial);
          const leaving = partials.add(ctx.batchTime, set.invertible ? InvertiblePartial.of(partial) : partial);
          // A leaving key not in the new partial still has the window it had before this batch (the
          // invertible window has only added the new partial; the slices have not changed yet).
          if (changes) for (const left of leaving) changes.touch(asGroups(left), current);
          if (set.invertible) for (const left of leaving) set.subtractFrom(window, left);
          else {
            slices.add(ctx.batchTime, partial);
            slices.leave(leaving as Groups[]);
          }
          if (ctx.batchTime % spec.slide.ms !== 0) return null;
          ctx.window = { start: ctx.batchTime - spec.length.ms, end: ctx.batchTime };
          if (changes) return changes.rows(current);
          return rowsOf(set, set.invertible ? window : slices.groups(), !options.keyed && partition === 0);
        },
        state: {
          snapshot: (): WindowSnapshot => {
            const { times, parts } = partials.snapshot((p) => (p instanceof InvertiblePartial ? Sealed.derived(() => p.entries()) : [...p.values()]));
            const order = set.invertible ? undefined : slices.keyOrder();
            return { partials: parts, times, window: groupsToSnapshot(window), ...(changes ? { touched: changes.snapshot() } : {}), ...(order ? { order } : {}) };
          },
          restore: (snapshot) => {
            const s = snapshot as WindowSnapshot;
            // A sealed partial's entries are adopted as they are: partials never change once added.
            const groupsOf = (p: Sealed<Entry[]> | Entry[]) => (p instanceof Sealed ? adoptGroups(p.value) : groupsFromSnapshot(p));
            const times = s.times ? { times: s.times } : {};
            if (!set.invertible) {
              partials.restore({ parts: s.partials, ...times }, groupsOf);
              slices = newSlices();
              const batchTimes = partials.times();
              partials.values().forEach((partial, i) => slices.add(batchTimes?.[i], partial as Groups));
              if (s.order) slices.restoreKeyOrder(s.order);
            } else {
              // Kept compact, each with its checkpointed bytes (if any), so the next checkpoint packs it no more.
              const compact = new Map(s.partials.map((p) => {
                const partial = InvertiblePartial.of(groupsOf(p));
                return [Sealed.derived(() => partial.entries(), p instanceof Sealed ? p.packed : undefined), partial] as const;
              }));
              partials.restore({ parts: [...compact.keys()], ...times }, (p) => compact.get(p as Sealed<Entry[]>)!);
            }
            window = groupsFromSnapshot(s.window);
            changes?.restore(s.touched);
          },
          lookup: (key) => {
            const entry = set.invertible ? current(key) : latestWindow(key);
            return entry && set.toRow(entry);
          },
          size: () => (set.invertible ? window.size : slices.size),
        },
      };
    },
  };
}

function adoptGroups(entries: readonly Entry[]): Groups {
  return new Map(entries.map((e) => [e.key, e]));
}

/** reduceByWindow: the aggregations over the whole stream (keys ignored) in a window: one row per slide. */
export function reduceByWindowStage(spec: WindowSpec, aggs: Aggregations, emit: WindowEmit = "all"): KeyedStage {
  return windowAggregateStage(spec, aggs, { keyed: false, keyOf: globalKey, emit });
}

/** countByWindow: the number of rows in the window, `{count}`, every slide (0 for an empty window). */
export function countByWindowStage(spec: WindowSpec, emit: WindowEmit = "all"): KeyedStage {
  return reduceByWindowStage(spec, { count: { fn: "count" } }, emit);
}
