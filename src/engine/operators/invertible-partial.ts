/**
 * A batch's partial as a sliding window keeps it once added, when every aggregation has an inverse
 * (count, sum, avg). Such a partial is read only once more, when it leaves the window and is
 * subtracted, so it need not stay a Map of entries: its keys, row counts and accumulator slots are
 * kept side by side in flat arrays. Per key that is about 24 bytes (a pointer to the key the window's
 * own entry holds too, and the numbers) instead of about 140 (a Map slot, an Entry and its acc array),
 * which roughly halves what a key costs in a window.
 */
import type { Entry, Groups } from "./aggregate-set.js";
import type { Key } from "./key-by.js";

export class InvertiblePartial {
  private constructor(
    private readonly keys: readonly (Key | undefined)[],
    private readonly rows: Float64Array,
    /** `width` slots per key, in key order. */
    private readonly acc: Float64Array,
    private readonly width: number,
  ) {}

  /** The partial of `groups`, whose entries carry no `vals` (only invertible aggregations). */
  static of(groups: Groups): InvertiblePartial {
    const keys = new Array<Key | undefined>(groups.size);
    const rows = new Float64Array(groups.size);
    let width = 0;
    for (const entry of groups.values()) {
      width = entry.acc.length;
      break;
    }
    const acc = new Float64Array(groups.size * width);
    let i = 0;
    for (const entry of groups.values()) {
      keys[i] = entry.key;
      rows[i] = entry.rows;
      const from = entry.acc;
      for (let j = 0, at = i * width; j < width; j++) acc[at + j] = from[j]!;
      i++;
    }
    return new InvertiblePartial(keys, rows, acc, width);
  }

  get size(): number {
    return this.keys.length;
  }

  /** Removes this partial out of `window` (as AggregateSet.subtractFrom): keys left with no rows are dropped. */
  subtractFrom(window: Groups): void {
    const { keys, rows, acc, width } = this;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const target = window.get(key);
      if (!target) continue;
      target.rows -= rows[i]!;
      if (target.rows <= 0) {
        window.delete(key);
        continue;
      }
      const into = target.acc;
      for (let j = 0, at = i * width; j < width; j++) into[j] = into[j]! - acc[at + j]!;
    }
  }

  /** The entries again, in key order, as a checkpoint or a change list takes them. */
  entries(): Entry[] {
    return this.keys.map((key, i) => ({ key, rows: this.rows[i]!, acc: Array.from(this.acc.subarray(i * this.width, (i + 1) * this.width)) }));
  }

  toGroups(): Groups {
    return new Map(this.entries().map((e) => [e.key, e]));
  }
}
