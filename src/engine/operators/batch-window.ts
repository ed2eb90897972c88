/**
 * The batches a sliding window holds, each with its batch time, oldest first. The window ending at
 * batch time t holds exactly the batches whose time is in (t - length, t]: membership is decided by
 * time, never by counting batches, because batch times are not always one interval apart. A server
 * that was down cut no batches for the downtime, so the first batch after a restart may be several
 * intervals after the one before it, and the batches from before the outage leave the window by
 * their time.
 *
 *     length = 3 intervals, batches at 1, 2, 3, then a restart, then 6:
 *       window ending 3:  (0, 3]  holds 1, 2, 3
 *       window ending 6:  (3, 6]  holds 6 alone (4 and 5 were never cut: they hold nothing)
 *
 * Each part also keeps its Sealed form once a checkpoint has made one (parts never change once
 * added, so a checkpoint packs each only once; see sealed.ts).
 *
 * With a `sliceMs` (a window merged by slices, see sliced-window.ts), batches leave by whole slices:
 * a batch in slice (k*slice - slice, k*slice] leaves when k*slice is no longer in the window, so the
 * window keeps (and checkpoints) every batch of each slice it still holds. Between slides the parts
 * may then reach back up to a slice before (t - length); at a slide (a multiple of the slice) they
 * are exactly the batches in (t - length, t].
 */
import { Sealed } from "./sealed.js";

interface WindowPart<T, S> {
  readonly batchTime: number;
  readonly value: T;
  sealed: Sealed<S> | undefined;
}

/**
 * A checkpointed window: its parts' batch times (absent in checkpoints written before they were
 * kept) and values, sealed (or plain, in checkpoints written before Sealed).
 */
export interface BatchWindowSnapshot<S> {
  readonly times?: readonly number[];
  readonly parts: readonly (Sealed<S> | S)[];
}

export class BatchWindow<T, S> {
  private parts: WindowPart<T, S>[] = [];
  /** Set by a restore from a checkpoint without batch times: they are assigned at the next add. */
  private timesUnknown = false;

  constructor(
    private readonly lengthMs: number,
    private readonly batchIntervalMs: number,
    private readonly sliceMs?: number,
  ) {}

  /** Adds batch `batchTime`'s part and returns the parts that left the window, oldest first. */
  add(batchTime: number, value: T): T[] {
    if (this.timesUnknown) {
      // Written before batch times were kept: such a checkpoint's parts were consecutive batches,
      // the newest of them one interval before the first batch run after it (the best reading left).
      const n = this.parts.length;
      this.parts = this.parts.map((p, i) => ({ ...p, batchTime: batchTime - (n - i) * this.batchIntervalMs }));
      this.timesUnknown = false;
    }
    this.parts.push({ batchTime, value, sealed: undefined });
    const from = batchTime - this.lengthMs;
    let leaving = 0;
    const slice = this.sliceMs;
    const endOf = slice === undefined ? (t: number) => t : (t: number) => Math.ceil(t / slice) * slice;
    while (leaving < this.parts.length && endOf(this.parts[leaving]!.batchTime) <= from) leaving++;
    return leaving === 0 ? [] : this.parts.splice(0, leaving).map((p) => p.value);
  }

  /** The parts in the window, oldest first. */
  values(): T[] {
    return this.parts.map((p) => p.value);
  }

  /** The parts' batch times, oldest first; undefined after a restore from a checkpoint without them (until the next add). */
  times(): number[] | undefined {
    return this.timesUnknown ? undefined : this.parts.map((p) => p.batchTime);
  }

  get size(): number {
    return this.parts.length;
  }

  /** The parts as a checkpoint holds them: each sealed once (by `seal`, or around what it gives), with its batch time. */
  snapshot(seal: (value: T) => S | Sealed<S>): { times: number[]; parts: Sealed<S>[] } {
    const sealedOf = (value: T) => {
      const sealed = seal(value);
      return sealed instanceof Sealed ? sealed : new Sealed(sealed);
    };
    return { times: this.parts.map((p) => p.batchTime), parts: this.parts.map((p) => (p.sealed ??= sealedOf(p.value))) };
  }

  restore(snapshot: BatchWindowSnapshot<S>, unseal: (part: Sealed<S> | S) => T): void {
    this.timesUnknown = snapshot.times === undefined;
    this.parts = snapshot.parts.map((part, i) => ({
      batchTime: snapshot.times?.[i] ?? 0,
      value: unseal(part),
      sealed: part instanceof Sealed ? part : undefined,
    }));
  }
}
