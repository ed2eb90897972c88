/**
 * join and cogroup of a job's two inputs by key (Spark's join, leftOuterJoin, rightOuterJoin,
 * fullOuterJoin and cogroup), per batch or, with a window, over the batches of both sides in the last
 * `length` of batch time, emitted every `slide` (windowed joins).
 *
 *   map side     each input partition's rows grouped by key, on their side: entry.vals[0] holds the
 *                left (the job's own input) rows, vals[1] the right (the `with` input) rows
 *   reduce side  per key, the left and right rows of the batch (or of the window's batches, oldest
 *                first) combined:
 *                  join     one row {key, left, right} per pair; `left`, `right` and `full` outer
 *                           joins also keep a row whose other side is missing, with null there
 *                  cogroup  one row {key, left: [...], right: [...]} per key seen on either side
 *
 * The rows inside `left` and `right` are the sides' rows without their `key` field (it is on the
 * joined row). Keys come out in the order they first appear; pairs in arrival order, left-major.
 */
import type { JoinType } from "../query/job-definition.js";
import type { Entry, Groups } from "./aggregate-set.js";
import type { Key } from "./key-by.js";
import type { KeyedStage } from "./keyed-stage.js";
import { perRow, type Row } from "./operator.js";
import { BatchWindow } from "./batch-window.js";
import { Sealed } from "./sealed.js";
import type { WindowSpec } from "./window-aggregate.js";

export interface JoinSpec {
  readonly kind: "join" | "cogroup";
  /** join only: which unmatched rows are kept (default inner: none). */
  readonly type: JoinType;
  /** Joins over a sliding window of both sides instead of each batch alone. */
  readonly window?: WindowSpec;
}

/** The two sides of one key: left rows, right rows. */
type Sides = [Row[], Row[]];
type SidesByKey = Map<Key | undefined, Sides>;
type BatchSnapshot = [Key | undefined, Row[], Row[]][];
/** A windowed join's checkpointed state: the window's batches, sealed, with their batch times. */
interface WindowSnapshot {
  readonly times?: number[];
  readonly batches: Sealed<BatchSnapshot>[];
}

export function joinStage(spec: JoinSpec): KeyedStage {
  const window = spec.window;
  return {
    partial: (rows, ctx, input = 0) => {
      const side = input === 0 ? 0 : 1;
      const groups: Groups = new Map();
      perRow(rows, ctx, (row) => {
        const key = row.key as Key | undefined;
        let entry = groups.get(key);
        if (!entry) groups.set(key, (entry = { key, rows: 0, acc: [], vals: [[], []] }));
        entry.rows += 1;
        (entry.vals![side] as Row[]).push(row);
      });
      return groups;
    },
    reducer() {
      // Without a window, a batch meets only itself.
      if (!window) return { reduce: (partials) => rowsOf(sidesOf(partials)) };
      /** The sides of the window's batches, oldest first, by batch time (see batch-window.ts). */
      const batches = new BatchWindow<SidesByKey, BatchSnapshot>(window.length.ms, window.batchInterval.ms);
      return {
        reduce(partials, ctx) {
          batches.add(ctx.batchTime, sidesOf(partials));
          if (ctx.batchTime % window.slide.ms !== 0) return null;
          ctx.window = { start: ctx.batchTime - window.length.ms, end: ctx.batchTime };
          const held = batches.values();
          return rowsOf(held.length === 1 ? held[0]! : mergeSides(held));
        },
        state: {
          snapshot: (): WindowSnapshot => {
            const { times, parts } = batches.snapshot((b) => [...b].map(([key, [left, right]]) => [key, left, right]));
            return { times, batches: parts };
          },
          restore: (snapshot) => {
            // Checkpoints written before batch times were kept hold the list of batches alone.
            const s = Array.isArray(snapshot) ? { batches: snapshot as Sealed<BatchSnapshot>[] } : (snapshot as WindowSnapshot);
            batches.restore({ parts: s.batches, ...(s.times ? { times: s.times } : {}) }, (b) => {
              const value = b instanceof Sealed ? b.value : b;
              return new Map(value.map(([key, left, right]) => [key, [[...left], [...right]]]));
            });
          },
          size: () => mergeSides(batches.values()).size,
          /** The key's rows of the window so far, per side. */
          lookup: (key) => {
            const sides = mergeSides(batches.values()).get(key);
            return sides && { left: sides[0].map(withoutKey), right: sides[1].map(withoutKey) };
          },
        },
      };
    },
  };

  function rowsOf(sides: SidesByKey): Row[] {
    return spec.kind === "cogroup" ? cogroupRows(sides) : joinRows(sides, spec.type);
  }
}

/** One batch's partials (in map-partition order) as the sides of each key. */
function sidesOf(partials: readonly Groups[]): SidesByKey {
  const sides: SidesByKey = new Map();
  for (const partial of partials) {
    for (const [key, entry] of partial) {
      let held = sides.get(key);
      if (!held) sides.set(key, (held = [[], []]));
      append(held[0], sideRows(entry, 0));
      append(held[1], sideRows(entry, 1));
    }
  }
  return sides;
}

function sideRows(entry: Entry, side: 0 | 1): Row[] {
  return (entry.vals?.[side] as Row[] | undefined) ?? [];
}

function mergeSides(batches: readonly SidesByKey[]): SidesByKey {
  const merged: SidesByKey = new Map();
  for (const batch of batches) {
    for (const [key, [left, right]] of batch) {
      let held = merged.get(key);
      if (!held) merged.set(key, (held = [[], []]));
      append(held[0], left);
      append(held[1], right);
    }
  }
  return merged;
}

/** Adds `rows` to `into` (a loop: spreading a hot key's rows as arguments would overflow the stack). */
function append(into: Row[], rows: readonly Row[]): void {
  for (const row of rows) into.push(row);
}

function joinRows(sides: SidesByKey, type: JoinType): Row[] {
  const keepLeft = type === "left" || type === "full";
  const keepRight = type === "right" || type === "full";
  const out: Row[] = [];
  for (const [key, [left, right]] of sides) {
    if (left.length > 0 && right.length > 0) {
      for (const l of left) for (const r of right) out.push({ key, left: withoutKey(l), right: withoutKey(r) });
    } else if (left.length > 0 && keepLeft) {
      for (const l of left) out.push({ key, left: withoutKey(l), right: null });
    } else if (right.length > 0 && keepRight) {
      for (const r of right) out.push({ key, left: null, right: withoutKey(r) });
    }
  }
  return out;
}

function cogroupRows(sides: SidesByKey): Row[] {
  return [...sides].map(([key, [left, right]]) => ({ key, left: left.map(withoutKey), right: right.map(withoutKey) }));
}

function withoutKey(row: Row): Row {
  const { key: _key, ...rest } = row;
  return rest;
}
