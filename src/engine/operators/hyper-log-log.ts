/**
 * HyperLogLog (Flajolet et al. 2007) for approxDistinct, as plain arrays of numbers so that a sketch
 * packs into checkpoints and shuffles like any other state, and merges by taking register maxima
 * (so partial sketches from map partitions and window batches combine exactly).
 *
 * A sketch with precision p has m = 2^p registers and a relative standard error of about 1.04/sqrt(m)
 * (p = 11: 2.3%). It is stored in one of two forms:
 *
 *   sparse  the set registers only, as sorted `index * 64 + rank` numbers (while fewer than m / 8)
 *   dense   exactly m numbers, register i at position i
 *
 * A new sketch is `[]`. Sparse keeps small groups (most keys of a keyed aggregation) small.
 */
import { hashText } from "./content-hash.js";

export type Sketch = number[];

const RANK_BITS = 64;

/** Adds the value whose JSON text is `text` to `sketch`; returns the sketch (a new array when it grows dense). */
export function addToSketch(sketch: Sketch, text: string, precision: number): Sketch {
  const m = 2 ** precision;
  const { high, low } = hashText(text);
  const index = high & (m - 1);
  const rank = Math.clz32(low) + 1;
  if (sketch.length === m) {
    if (rank > sketch[index]!) sketch[index] = rank;
    return sketch;
  }
  const at = lowerBound(sketch, index);
  const found = sketch[at];
  if (found !== undefined && Math.floor(found / RANK_BITS) === index) {
    if (rank > found % RANK_BITS) sketch[at] = index * RANK_BITS + rank;
    return sketch;
  }
  sketch.splice(at, 0, index * RANK_BITS + rank);
  return sketch.length >= m / 8 ? toDense(sketch, m) : sketch;
}

/** The union of two sketches of the same precision, as a new array (neither input changes). */
export function mergeSketches(a: Sketch, b: Sketch, precision: number): Sketch {
  const m = 2 ** precision;
  if (a.length !== m && b.length !== m) {
    const merged: Sketch = [];
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
      const x = a[i];
      const y = b[j];
      const xi = x === undefined ? Infinity : Math.floor(x / RANK_BITS);
      const yi = y === undefined ? Infinity : Math.floor(y / RANK_BITS);
      if (xi < yi) merged.push(x!), i++;
      else if (yi < xi) merged.push(y!), j++;
      else merged.push(Math.max(x!, y!)), i++, j++;
    }
    return merged.length >= m / 8 ? toDense(merged, m) : merged;
  }
  const dense = a.length === m ? [...a] : toDense(a, m);
  if (b.length === m) for (let i = 0; i < m; i++) dense[i] = Math.max(dense[i]!, b[i]!);
  else for (const x of b) dense[Math.floor(x / RANK_BITS)] = Math.max(dense[Math.floor(x / RANK_BITS)]!, x % RANK_BITS);
  return dense;
}

/** The estimated number of distinct values, rounded. */
export function estimateDistinct(sketch: Sketch, precision: number): number {
  const m = 2 ** precision;
  const dense = sketch.length === m;
  let sum = dense ? 0 : m - sketch.length; // each empty register adds 2^-0
  let zeros = dense ? 0 : m - sketch.length;
  for (const x of sketch) {
    const rank = dense ? x : x % RANK_BITS;
    sum += 2 ** -rank;
    if (rank === 0) zeros++;
  }
  const alpha = m === 16 ? 0.673 : m === 32 ? 0.697 : m === 64 ? 0.709 : 0.7213 / (1 + 1.079 / m);
  const raw = (alpha * m * m) / sum;
  // Small range: linear counting is more accurate while registers are still empty.
  const estimate = raw <= 2.5 * m && zeros > 0 ? m * Math.log(m / zeros) : raw;
  return Math.round(estimate);
}

function toDense(sparse: Sketch, m: number): Sketch {
  const dense = new Array<number>(m).fill(0);
  for (const x of sparse) dense[Math.floor(x / RANK_BITS)] = x % RANK_BITS;
  return dense;
}

/** First position whose register index is >= `index`. */
function lowerBound(sparse: Sketch, index: number): number {
  let lo = 0;
  let hi = sparse.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (Math.floor(sparse[mid]! / RANK_BITS) < index) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
