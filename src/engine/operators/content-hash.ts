/**
 * A 64-bit hash of text, as two 32-bit halves, stable across processes and restarts (it depends on
 * nothing but the text and the seed). Used where an operator must make the same "random" choice every
 * time a batch is recomputed: sample, the mini-batches of trainLogisticRegression, HyperLogLog.
 *
 * Two multiply-xorshift lanes over the UTF-16 code units, cross-mixed at the end (the construction of
 * bryc's public-domain cyrb53): fast, well spread, not cryptographic.
 */
export interface Hash64 {
  readonly high: number;
  readonly low: number;
}

export function hashText(text: string, seed = 0): Hash64 {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return { high: h1 >>> 0, low: h2 >>> 0 };
}

/** A number in [0, 1) from a hash, with 53 bits of resolution. */
export function unitInterval(hash: Hash64): number {
  return (hash.high * 2 ** 21 + (hash.low >>> 11)) / 2 ** 53;
}

/** Re-mixes a 32-bit hash with a small integer (an iteration number): a fresh, independent-looking draw. */
export function remix(hash: number, n: number): number {
  let h = (hash ^ Math.imul(n + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
