/**
 * Each key's aggregate over a sliding window of batch partials, for aggregations that have no inverse
 * (min, max, first, last, collect, approxDistinct): the window is never merged afresh. Per key, the
 * partials that hold it are a queue (oldest first), kept as two stacks (the sliding-window aggregation
 * literature's "two-stacks", as in Flink's window slicing):
 *
 *     oldest                                              newest
 *     [ f3 ][ f2 ][ f1 ]  |  [ b1 ][ b2 ][ b3 ]
 *      front: suffix aggregates          back: the partials as added,
 *      f3 = p1+p2+p3, f2 = p2+p3, f1 = p3      and their running merge b1+b2+b3
 *
 *     key's window = top of front (its oldest suffix) + merge of back
 *     a batch enters: push its entry on back, merge it into back's running merge
 *     a batch leaves: pop front; when front is empty, first turn back into suffix aggregates (flip)
 *
 * Every entry is flipped once, so a batch costs O(keys entering + keys leaving), amortized, and a
 * key's aggregate is one merge of two entries. Merges keep arrival order (older into newer never
 * happens: `mergeEntry(into, from)` always takes the earlier as `into`), and every aggregation without
 * an inverse is associative, so the answer is the one merging the partials oldest first gives. (A set
 * that mixes sum or avg with these adds its numbers in another grouping: exact for integers, for
 * fractions it may differ in the last bits.)
 *
 * The partials' entries are shared, never changed: merged entries are always fresh copies.
 */
import { copyEntry, type AggregateSet, type Entry, type Groups } from "./aggregate-set.js";
import type { Key } from "./key-by.js";

interface KeyStacks {
  /** Suffix aggregates of the older partials: the last one covers the oldest through the newest of front. */
  front: Entry[];
  /** The newer partials' entries, oldest first, as added. */
  back: Entry[];
  /** back merged, oldest first (back[0] itself while back holds one entry). */
  backMerged: Entry | undefined;
}

export class TwoStacksWindow {
  private stacks = new Map<Key | undefined, KeyStacks>();

  constructor(private readonly set: AggregateSet) {}

  /** Adds the newest batch's partial. Its entries are kept as they are: they must not change later. */
  push(partial: Groups): void {
    for (const [key, entry] of partial) {
      let s = this.stacks.get(key);
      if (!s) this.stacks.set(key, (s = { front: [], back: [], backMerged: undefined }));
      if (s.back.length === 0) s.backMerged = entry;
      else s.backMerged = this.set.mergeEntry(s.back.length === 1 ? copyEntry(s.backMerged!) : s.backMerged, entry);
      s.back.push(entry);
    }
  }

  /** Removes the oldest batch still held, whose partial is `partial`; keys left with nothing are dropped. */
  evict(partial: Groups): void {
    for (const key of partial.keys()) {
      const s = this.stacks.get(key);
      if (!s) continue;
      if (s.front.length === 0) this.flip(s);
      s.front.pop();
      if (s.front.length === 0 && s.back.length === 0) this.stacks.delete(key);
    }
  }

  /** The key's aggregate over the window, or undefined when no partial holds it. Not to be changed. */
  get(key: Key | undefined): Entry | undefined {
    const s = this.stacks.get(key);
    if (!s) return undefined;
    const older = s.front[s.front.length - 1];
    if (older === undefined) return s.backMerged;
    if (s.backMerged === undefined) return older;
    return this.set.mergeEntry(copyEntry(older), s.backMerged);
  }

  /** Every key's aggregate, in the order the keys entered the window. */
  groups(): Groups {
    const out: Groups = new Map();
    for (const key of this.stacks.keys()) out.set(key, this.get(key)!);
    return out;
  }

  /** The keys held, in the order groups() gives them. */
  keys(): (Key | undefined)[] {
    return [...this.stacks.keys()];
  }

  /**
   * Puts the keys held in this order (those not listed after, as they are): a window rebuilt from a
   * checkpoint gives its rows in the order of the window that was checkpointed.
   */
  reorder(keys: readonly (Key | undefined)[]): void {
    const ordered = new Map<Key | undefined, KeyStacks>();
    for (const key of keys) {
      const s = this.stacks.get(key);
      if (s) ordered.set(key, s);
    }
    for (const [key, s] of this.stacks) if (!ordered.has(key)) ordered.set(key, s);
    this.stacks = ordered;
  }

  has(key: Key | undefined): boolean {
    return this.stacks.has(key);
  }

  get size(): number {
    return this.stacks.size;
  }

  /** Turns back into suffix aggregates on front, newest first (so the oldest's is on top). */
  private flip(s: KeyStacks): void {
    const back = s.back;
    let suffix = back[back.length - 1];
    if (suffix === undefined) return;
    s.front.push(suffix);
    for (let i = back.length - 2; i >= 0; i--) {
      suffix = this.set.mergeEntry(copyEntry(back[i]!), suffix);
      s.front.push(suffix);
    }
    s.back = [];
    s.backMerged = undefined;
  }
}
