/** HyperLogLog sketches: merging partial sketches (sparse or dense) equals sketching everything at once. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addToSketch, estimateDistinct, mergeSketches, type Sketch } from "../../../../src/engine/operators/hyper-log-log.js";

const sketchOf = (values: readonly string[], p: number): Sketch => values.reduce<Sketch>((s, v) => addToSketch(s, v, p), []);
const dense = (s: Sketch, p: number): number[] => (s.length === 2 ** p ? s : mergeSketches(s, new Array<number>(2 ** p).fill(0), p));

describe("HyperLogLog", () => {
  it("merging the sketches of any split of the values gives the sketch of all of them", () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.string({ maxLength: 4 }), { maxLength: 200 }), { maxLength: 5 }), fc.integer({ min: 4, max: 12 }), (parts, p) => {
        const merged = parts.map((part) => sketchOf(part, p)).reduce<Sketch>((a, b) => mergeSketches(a, b, p), []);
        const whole = sketchOf(parts.flat(), p);
        expect(dense(merged, p)).toEqual(dense(whole, p));
        expect(estimateDistinct(merged, p)).toBe(estimateDistinct(whole, p));
      }),
      { numRuns: 100 },
    );
  });

  it("stays sparse while small, turns dense past m/8 registers, and estimates the same either way", () => {
    const p = 10;
    const small = sketchOf(["a", "b", "c"], p);
    expect(small.length).toBe(3);
    const big = sketchOf(Array.from({ length: 500 }, (_, i) => `v${i}`), p);
    expect(big.length).toBe(1024);
    expect(Math.abs(estimateDistinct(big, p) - 500)).toBeLessThan(25);
    expect(estimateDistinct(mergeSketches(small, [], p), p)).toBe(3);
  });

  it("is within 2% on 100,000 distinct values at precision 14", () => {
    const estimate = estimateDistinct(sketchOf(Array.from({ length: 100_000 }, (_, i) => String(i)), 14), 14);
    expect(Math.abs(estimate - 100_000) / 100_000).toBeLessThan(0.02);
  });
});
