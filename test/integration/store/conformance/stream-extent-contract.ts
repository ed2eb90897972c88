/**
 * StreamLog.extent, offsetAt and offsetKeepingBytes: what a partition retains, and where a time or
 * byte retention would cut it, before and after trims and across a reopen.
 */
import { describe, expect, it } from "vitest";
import { bytes, type ConformanceSubject } from "./fixtures.js";

/** Appends one block per text (its length is its payload's bytes), `count` events each; returns when each was appended. */
async function appendTimed(subject: ConformanceSubject, texts: string[], count = 2): Promise<number[]> {
  const times: number[] = [];
  for (const t of texts) {
    const before = Date.now();
    await subject.store.streams.append("clicks", 0, { count, payload: bytes(t) });
    times.push(before);
    // Distinct append times, so a lookup by time has one right answer.
    while (Date.now() <= before + 2) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return times;
}

export function describeStreamExtentContract(subject: ConformanceSubject): void {
  describe("stream log extent", () => {
    it("is empty for a partition never written", async () => {
      expect(await subject.store.streams.extent("clicks", 0)).toEqual({ start: 0, end: 0, events: 0, bytes: 0, oldestAppendedAt: null });
      expect(await subject.store.streams.offsetAt("clicks", 0, 0)).toBe(0);
      expect(await subject.store.streams.offsetKeepingBytes("clicks", 0, 10)).toBe(0);
    });

    it("counts the retained events and bytes and names the oldest block's append time, before and after a trim", async () => {
      const times = await appendTimed(subject, ["aaaa", "bb", "cccccc", "d"], 3);
      const whole = await subject.store.streams.extent("clicks", 0);
      expect(whole).toMatchObject({ start: 0, end: 4, events: 12, bytes: 13 });
      expect(whole.oldestAppendedAt).toBeGreaterThanOrEqual(times[0]!);
      expect(whole.oldestAppendedAt).toBeLessThan(times[1]!);
      const later = await subject.store.streams.extent("clicks", 0, 1);
      expect(later).toMatchObject({ start: 0, end: 4, events: 9, bytes: 9 });
      expect(later.oldestAppendedAt).toBeGreaterThanOrEqual(times[1]!);
      expect(await subject.store.streams.extent("clicks", 0, 9)).toEqual({ start: 0, end: 4, events: 0, bytes: 0, oldestAppendedAt: null });
      await subject.store.streams.trim("clicks", 0, 2);
      expect(await subject.store.streams.extent("clicks", 0, 0)).toMatchObject({ start: 2, events: 6, bytes: 7 });
      const trimmed = await subject.store.streams.extent("clicks", 0);
      expect(trimmed).toMatchObject({ start: 2, end: 4, events: 6, bytes: 7 });
      expect(trimmed.oldestAppendedAt).toBeGreaterThanOrEqual(times[2]!);
      await subject.store.streams.trim("clicks", 0, 4);
      expect(await subject.store.streams.extent("clicks", 0)).toEqual({ start: 4, end: 4, events: 0, bytes: 0, oldestAppendedAt: null });
    });

    it("finds the first block appended at or after a time", async () => {
      const times = await appendTimed(subject, ["a", "b", "c", "d", "e"]);
      expect(await subject.store.streams.offsetAt("clicks", 0, 0)).toBe(0);
      expect(await subject.store.streams.offsetAt("clicks", 0, times[3]!)).toBe(3);
      expect(await subject.store.streams.offsetAt("clicks", 0, Date.now() + 60_000)).toBe(5);
      await subject.store.streams.trim("clicks", 0, 2);
      expect(await subject.store.streams.offsetAt("clicks", 0, times[0]!)).toBe(2);
    });

    it("finds where a byte retention cuts: the blocks from there hold at most that many bytes", async () => {
      await appendTimed(subject, ["aaaa", "bb", "cccccc", "d"]);
      expect(await subject.store.streams.offsetKeepingBytes("clicks", 0, 100)).toBe(0);
      expect(await subject.store.streams.offsetKeepingBytes("clicks", 0, 13)).toBe(0);
      expect(await subject.store.streams.offsetKeepingBytes("clicks", 0, 12)).toBe(1);
      expect(await subject.store.streams.offsetKeepingBytes("clicks", 0, 7)).toBe(2);
      expect(await subject.store.streams.offsetKeepingBytes("clicks", 0, 6)).toBe(3);
      expect(await subject.store.streams.offsetKeepingBytes("clicks", 0, 0)).toBe(4);
      await subject.store.streams.trim("clicks", 0, 3);
      expect(await subject.store.streams.offsetKeepingBytes("clicks", 0, 100)).toBe(3);
    });

    it("keeps its counts across a trim and a reopen", async (ctx) => {
      await appendTimed(subject, ["aaaa", "bb", "cccccc", "d"], 5);
      await subject.store.streams.trim("clicks", 0, 1);
      const before = await subject.store.streams.extent("clicks", 0);
      const again = await subject.reopen(ctx);
      expect(await again.streams.extent("clicks", 0)).toEqual(before);
      expect(before).toMatchObject({ start: 1, end: 4, events: 15, bytes: 9 });
      await again.streams.append("clicks", 0, { count: 1, payload: bytes("xyz") });
      expect(await again.streams.extent("clicks", 0)).toMatchObject({ start: 1, end: 5, events: 16, bytes: 12 });
    });
  });
}
