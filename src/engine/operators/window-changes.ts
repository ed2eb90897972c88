/**
 * A window's `emit: "changes"` (Structured Streaming's update mode): each slide emits only the keys
 * whose aggregate changed since the last slide, and a removal row `{key, removed: true}` for each key
 * that left the window, instead of every key the window holds.
 *
 * Only keys that a batch touched can have changed: the keys of a batch that entered the window and of
 * a batch that left it. The first time a key is touched after a slide, its aggregate as that slide
 * left it is kept aside; at the next slide each touched key's aggregate now is compared with it. A
 * slide whose batches were empty (none entered with rows, none left with rows) touches nothing and
 * does no work per key.
 *
 * Without a keyBy the window has one global row, present also when the window is empty (count 0):
 * it is emitted when its value changes, starting from the empty window's row, and is never removed.
 */
import { isDeepStrictEqual } from "node:util";
import { copyEntry, type AggregateSet, type Entry, type Groups } from "./aggregate-set.js";
import type { Key } from "./key-by.js";
import type { Row } from "./operator.js";

/** How a windowed aggregate emits each slide: every key it holds, or only what changed. */
export const WINDOW_EMIT_MODES = ["all", "changes"] as const;
export type WindowEmit = (typeof WINDOW_EMIT_MODES)[number];

/** The field that marks a removal row; an aggregation may not take its name under `emit: "changes"`. */
export const REMOVED_FIELD = "removed";

/** A key's aggregate in the window now, or undefined when the window holds nothing for it. */
export type CurrentEntry = (key: Key | undefined) => Entry | undefined;

/** One key touched since the last slide, with its aggregate as that slide left it (null: absent). */
export interface TouchedKey {
  key: Key | undefined;
  before: Entry | null;
}

export class WindowChanges {
  private touched = new Map<Key | undefined, Entry | null>();

  constructor(
    private readonly set: AggregateSet,
    private readonly keyed: boolean,
  ) {}

  /** Keeps aside the aggregate now of each key of `groups` not touched yet since the last slide. */
  touch(groups: Groups, current: CurrentEntry): void {
    for (const key of groups.keys()) {
      if (this.touched.has(key)) continue;
      const entry = current(key);
      // Copied: an invertible window changes its entries in place.
      this.touched.set(key, entry ? copyEntry(entry) : null);
    }
  }

  /** The slide's rows: each touched key whose row changed, or its removal row; then starts afresh. */
  rows(current: CurrentEntry): Row[] {
    if (this.touched.size === 0) return [];
    const out: Row[] = [];
    for (const [key, before] of this.touched) {
      const entry = current(key);
      // The same aggregates make the same row: nothing to build or compare.
      if (before !== null && entry !== undefined && sameNumbers(before, entry)) continue;
      const was = this.rowOf(before ?? undefined);
      const now = this.rowOf(entry);
      if (now === undefined) {
        if (was !== undefined) out.push({ key, [REMOVED_FIELD]: true });
      } else if (was === undefined || !sameRow(was, now)) {
        out.push(now);
      }
    }
    this.touched = new Map();
    return out;
  }

  snapshot(): TouchedKey[] {
    return [...this.touched].map(([key, before]) => ({ key, before }));
  }

  restore(touched: readonly TouchedKey[] | undefined): void {
    this.touched = new Map((touched ?? []).map((t) => [t.key, t.before]));
  }

  /** A key's row; keyed, undefined when absent; the global row is the empty window's when absent. */
  private rowOf(entry: Entry | undefined): Row | undefined {
    if (entry) return this.set.toRow(entry);
    return this.keyed ? undefined : this.set.toRow(this.set.newEntry(undefined));
  }
}

/** Whether two entries of a numbers-only set hold the same rows and slots (then their rows are equal). */
function sameNumbers(a: Entry, b: Entry): boolean {
  if (a.vals !== undefined || b.vals !== undefined || a.rows !== b.rows || a.acc.length !== b.acc.length) return false;
  for (let i = 0; i < a.acc.length; i++) if (!Object.is(a.acc[i], b.acc[i])) return false;
  return true;
}

/** isDeepStrictEqual for two rows, field by field, deep only for fields that hold objects. */
function sameRow(a: Row, b: Row): boolean {
  const fields = Object.keys(a);
  if (fields.length !== Object.keys(b).length) return false;
  for (const field of fields) {
    if (!Object.hasOwn(b, field)) return false;
    const x = a[field];
    const y = b[field];
    if (Object.is(x, y)) continue;
    if (typeof x !== "object" || x === null || typeof y !== "object" || y === null || !isDeepStrictEqual(x, y)) return false;
  }
  return true;
}
