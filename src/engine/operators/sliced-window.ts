/**
 * A sliding window whose aggregations have no inverse, merged by slices (Flink's window slicing):
 * batch time is cut into slices of gcd(length, slide), so every window emitted at a slide is a whole
 * number of slices. A slice's batches are merged as they arrive; when the slice ends it is closed and
 * its keys are pushed on the window's two stacks (two-stacks-window.ts); when its batches leave the
 * window (by whole slices, see batch-window.ts) it is popped.
 *
 *     length 6 s, slide 2 s, batches every 1 s: slices of 2 s
 *       batches   1 2 | 3 4 | 5 6 | 7 8
 *       slices    (0,2] (2,4] (4,6] (6,8]
 *       window ending 8 = (2,4] + (4,6] + (6,8]: three slices, one merge of two stacks per key
 *
 * A tumbling window is one slice: its batches are merged as they arrive and the closing batch reads
 * the slice, with no stacks at all. The aggregate per key is that of the closed slices: between slides
 * it is the window as the last slice boundary left it (what `emit: "changes"` compares against).
 */
import type { AggregateSet, Entry, Groups } from "./aggregate-set.js";
import type { Key } from "./key-by.js";
import { TwoStacksWindow } from "./two-stacks-window.js";

interface Slice {
  /** The slice's end (batch time); NaN for a batch of a checkpoint without batch times (a slice of its own). */
  readonly end: number;
  /** Its batches merged; while it has one batch, that batch's partial itself (never changed). */
  groups: Groups;
  merged: boolean;
  /** Its batches still in the window. */
  held: number;
}

/** gcd(length, slide): the slice that every window emitted at a slide is made of. */
export function sliceOf(lengthMs: number, slideMs: number): number {
  let [a, b] = [lengthMs, slideMs];
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

export class SlicedWindow {
  /** Closed slices, oldest first (the stacks hold exactly these). */
  private closed: Slice[] = [];
  private open: Slice | undefined;
  private readonly stacks: TwoStacksWindow | undefined;
  private readonly sliceOfBatch = new Map<Groups, Slice>();

  /** With one slice per window (tumbling), no stacks: the window is its one closed slice. */
  constructor(
    private readonly set: AggregateSet,
    private readonly sliceMs: number,
    slicesPerWindow: number,
  ) {
    this.stacks = slicesPerWindow > 1 ? new TwoStacksWindow(set) : undefined;
  }

  /**
   * Adds a batch's partial (kept, never changed); a slice that has ended closes. `batchTime`
   * undefined: a batch restored from a checkpoint without batch times, a slice of its own.
   */
  add(batchTime: number | undefined, partial: Groups): void {
    const end = batchTime === undefined ? Number.NaN : Math.ceil(batchTime / this.sliceMs) * this.sliceMs;
    if (this.open && this.open.end !== end) this.close();
    if (!this.open) this.open = { end, groups: partial, merged: false, held: 0 };
    else {
      if (!this.open.merged) {
        const merged: Groups = new Map();
        this.set.mergeInto(merged, this.open.groups);
        this.open.groups = merged;
        this.open.merged = true;
      }
      this.set.mergeInto(this.open.groups, partial);
    }
    this.open.held += 1;
    this.sliceOfBatch.set(partial, this.open);
    if (batchTime === undefined || batchTime === end) this.close();
  }

  /** Batches that left the window, oldest first: a slice leaves with its last batch. */
  leave(partials: readonly Groups[]): void {
    for (const partial of partials) {
      const slice = this.sliceOfBatch.get(partial);
      if (!slice) continue;
      this.sliceOfBatch.delete(partial);
      if (--slice.held > 0) continue;
      if (slice === this.open) {
        this.open = undefined;
        continue;
      }
      // Slices leave oldest first, as batches do.
      this.closed.shift();
      this.stacks?.evict(slice.groups);
    }
  }

  /** The key's aggregate over the closed slices, or undefined. Not to be changed. */
  get(key: Key | undefined): Entry | undefined {
    if (this.stacks) return this.stacks.get(key);
    if (this.closed.length === 1) return this.closed[0]!.groups.get(key);
    let merged: Entry | undefined;
    for (const slice of this.closed) {
      const entry = slice.groups.get(key);
      if (entry) merged = this.set.mergeEntry(merged, entry);
    }
    return merged;
  }

  /** Every key's aggregate over the closed slices. Not to be changed. */
  groups(): Groups {
    if (this.stacks) return this.stacks.groups();
    if (this.closed.length === 1) return this.closed[0]!.groups;
    const merged: Groups = new Map();
    for (const slice of this.closed) this.set.mergeInto(merged, slice.groups);
    return merged;
  }

  /** The order groups() gives the keys in (undefined: the slices' own order, nothing to keep). */
  keyOrder(): (Key | undefined)[] | undefined {
    return this.stacks?.keys();
  }

  /** Gives the keys in this order from now on (see TwoStacksWindow.reorder). */
  restoreKeyOrder(keys: readonly (Key | undefined)[]): void {
    this.stacks?.reorder(keys);
  }

  /** Keys held, in closed slices or in the open one. */
  get size(): number {
    const closedKeys = this.stacks ? this.stacks.size : this.closed.length === 1 ? this.closed[0]!.groups.size : this.groups().size;
    let openOnly = 0;
    for (const key of this.open?.groups.keys() ?? []) if (!this.holds(key)) openOnly += 1;
    return closedKeys + openOnly;
  }

  private holds(key: Key | undefined): boolean {
    return this.stacks ? this.stacks.has(key) : this.closed.some((slice) => slice.groups.has(key));
  }

  private close(): void {
    const slice = this.open;
    if (!slice) return;
    this.open = undefined;
    this.closed.push(slice);
    this.stacks?.push(slice.groups);
  }
}
