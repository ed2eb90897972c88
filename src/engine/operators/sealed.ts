/**
 * A part of an operator's state that never changes once it is made, such as a window's partial for
 * one batch. The checkpoint codec packs it once and reuses those bytes in every later checkpoint, so a
 * checkpoint of a long window only packs what changed since the last one (the newest partials and
 * the running window), not every batch the window holds. Read back from a checkpoint, a part keeps
 * its bytes and is unpacked when its value is first asked for.
 */
export class Sealed<T> {
  /** The packed value, set by the codec the first time it packs it (or when it reads it back). */
  packed: Uint8Array | undefined;
  private held: T | undefined;
  private unpack: ((bytes: Uint8Array) => T) | undefined;
  private make: (() => T) | undefined;

  constructor(value: T) {
    this.held = value;
  }

  /** A part read back from a checkpoint: its bytes, and how to unpack them when needed. */
  static fromPacked<T>(packed: Uint8Array, unpack: (bytes: Uint8Array) => T): Sealed<T> {
    const sealed = new Sealed<T>(undefined as T);
    sealed.packed = packed;
    sealed.unpack = unpack;
    return sealed;
  }

  /**
   * A part whose operator keeps it in another, smaller form: its value is made from that form each
   * time it is asked for (the codec asks once, to pack it), and never kept.
   */
  static derived<T>(make: () => T, packed?: Uint8Array): Sealed<T> {
    const sealed = new Sealed<T>(undefined as T);
    sealed.make = make;
    sealed.packed = packed;
    return sealed;
  }

  get value(): T {
    if (this.make) return this.make();
    if (this.unpack) {
      this.held = this.unpack(this.packed!);
      this.unpack = undefined;
    }
    return this.held as T;
  }
}
