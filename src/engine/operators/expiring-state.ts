/**
 * Per-key state that expires after an idle time, measured in batch time (so replay expires the same
 * keys at the same batches). Keys are kept in the order they were last updated, so the idle ones are
 * all at the front: expiring costs O(expired keys), not a scan of the whole state.
 *
 * A key updated at batch time `seen` expires at the first batch time `t` with `t - seen >= idle`.
 */
import type { Key } from "./key-by.js";

/** One key's state as plain data for a checkpoint: [key, value, last updated batch time]. */
export type ExpiringEntry<V> = [Key | undefined, V, number];

export class ExpiringState<V> {
  private entries = new Map<Key | undefined, { value: V; seen: number }>();

  /** `idleMs` undefined: keys never expire. */
  constructor(private readonly idleMs: number | undefined) {}

  get(key: Key | undefined): V | undefined {
    return this.entries.get(key)?.value;
  }

  has(key: Key | undefined): boolean {
    return this.entries.has(key);
  }

  /** Sets the key's value and marks it updated at `batchTime` (moving it to the back). */
  set(key: Key | undefined, value: V, batchTime: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, seen: batchTime });
  }

  delete(key: Key | undefined): void {
    this.entries.delete(key);
  }

  /** Removes and returns the keys idle for at least the idle time at `batchTime`, least recent first. */
  expire(batchTime: number): [Key | undefined, V][] {
    const expired: [Key | undefined, V][] = [];
    if (this.idleMs === undefined) return expired;
    for (const [key, { value, seen }] of this.entries) {
      if (batchTime - seen < this.idleMs) break;
      expired.push([key, value]);
    }
    for (const [key] of expired) this.entries.delete(key);
    return expired;
  }

  *values(): IterableIterator<V> {
    for (const entry of this.entries.values()) yield entry.value;
  }

  get size(): number {
    return this.entries.size;
  }

  snapshot(copy: (value: V) => V = (v) => v): ExpiringEntry<V>[] {
    return [...this.entries].map(([key, { value, seen }]) => [key, copy(value), seen]);
  }

  restore(entries: readonly ExpiringEntry<V>[]): void {
    this.entries = new Map(entries.map(([key, value, seen]) => [key, { value, seen }]));
  }
}
