/**
 * A part of an operator's state that never changes once it is made, such as a window's partial for
 * one batch. The checkpoint codec packs it once and reuses those bytes in every later checkpoint, so a
 * checkpoint of a long window only packs what changed since the last one (the newest partials and
 * the running window), not every batch the window holds.
 */
export class Sealed<T> {
  /** The packed value, set by the codec the first time it packs it (or when it unpacks it). */
  packed: Uint8Array | undefined;

  constructor(readonly value: T) {}
}
