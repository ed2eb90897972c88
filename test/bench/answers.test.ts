import { describe, expect, it } from "vitest";
import { compareWordCounts, differenceOf, digestOf, topWords } from "../../bench/workloads.js";
import { percentile, round } from "../../bench/stats.js";

describe("benchmark answers", () => {
  it("digests word counts independently of order, and tells a changed count apart", () => {
    const a = new Map([["river", 3], ["delta", 1], ["flow", 2]]);
    const b = new Map([["flow", 2], ["river", 3], ["delta", 1]]);
    expect(digestOf(a)).toEqual(digestOf(b));
    expect(differenceOf(digestOf(a), b)).toBeUndefined();
    expect(differenceOf(digestOf(a), new Map([["flow", 2], ["river", 3], ["delta", 2]]))).toMatch(/counts differ/);
    expect(differenceOf(digestOf(a), new Map([["flow", 2], ["river", 3]]))).toMatch(/expected 3 distinct words, got 2/);
  });

  it("keeps the same top k as a full sort, ties broken by word ascending", () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 500; i++) counts.set(`w${(i * 7919) % 1000}`, i % 13);
    const full = [...counts].sort(compareWordCounts).slice(0, 10);
    expect(topWords(counts, 10)).toEqual(full);
    expect(topWords(new Map([["b", 2], ["a", 2], ["c", 3]]), 2)).toEqual([["c", 3], ["a", 2]]);
  });

  it("names the first difference between two grep counts or two top lists", () => {
    expect(differenceOf(5, 6)).toBe("expected 5 matches, got 6");
    expect(differenceOf([["a", 2]], [["a", 2]])).toBeUndefined();
    expect(differenceOf([["a", 2]], [["b", 2]])).toMatch(/expected top \[a:2\], got \[b:2\]/);
  });

  it("takes percentiles by nearest rank and rounds to significant digits", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([], 50)).toBeNaN();
    expect(round(123_456)).toBe(123_000);
    expect(round(0.012345)).toBe(0.0123);
  });
});
