/** Judging from result frames when a job is back on schedule after a node died, and the rate search. */
import { describe, expect, it } from "vitest";
import { backOnSchedule, earliestArrivals, highestSustainedRate, keptSchedule, seqBreak, type ArrivedFrame } from "../../bench/cluster-schedule.js";

const frame = (seq: number, batchTime: number, arrivedAt: number): ArrivedFrame => ({ seq, batchTime, arrivedAt });

describe("cluster schedule", () => {
  it("takes each seq at its earliest arrival over every subscriber, in seq order", () => {
    const owner = [frame(2, 2000, 2100), frame(3, 3000, 3100)];
    const follower = [frame(1, 1000, 1200), frame(2, 2000, 2250), frame(3, 3000, 3050)];
    expect(earliestArrivals([owner, follower])).toEqual([frame(1, 1000, 1200), frame(2, 2000, 2100), frame(3, 3000, 3050)]);
  });

  it("is back on schedule at the first batch cut after the failure whose frame came within an interval", () => {
    const killedAt = 10_500;
    const frames = [
      frame(10, 10_000, 10_100), // before the kill
      frame(11, 11_000, 13_400), // replayed late by the new holder
      frame(12, 12_000, 13_450), // still catching up
      frame(13, 13_000, 13_500), // cut after the kill, arrived 500 ms after its batch time: on schedule
      frame(14, 14_000, 14_100),
    ];
    expect(backOnSchedule(frames, killedAt, 1000)).toEqual(frame(13, 13_000, 13_500));
    expect(backOnSchedule(frames.slice(0, 3), killedAt, 1000)).toBeUndefined();
  });

  it("finds a gap or a repeat in the seqs", () => {
    expect(seqBreak([frame(4, 0, 0), frame(5, 0, 0), frame(6, 0, 0)])).toBeUndefined();
    expect(seqBreak([frame(4, 0, 0), frame(6, 0, 0)])).toBe(6);
    expect(seqBreak([frame(4, 0, 0), frame(4, 0, 0)])).toBe(4);
  });

  it("judges a job on the second half of a step: every batch's frame, each within an interval", () => {
    const frames = Array.from({ length: 10 }, (_, i) => frame(i + 1, (i + 1) * 1000, (i + 1) * 1000 + 200));
    expect(keptSchedule(frames, 0, 10_000, 1000)).toMatchObject({ onSchedule: true, frames: 5, expected: 5, maxLagMs: 200 });
    // A slow start in the first half is forgiven; a late frame in the second half is not.
    const lateEarly = frames.map((f) => (f.seq === 2 ? { ...f, arrivedAt: f.batchTime + 3000 } : f));
    expect(keptSchedule(lateEarly, 0, 10_000, 1000).onSchedule).toBe(true);
    const lateLater = frames.map((f) => (f.seq === 8 ? { ...f, arrivedAt: f.batchTime + 1500 } : f));
    expect(keptSchedule(lateLater, 0, 10_000, 1000)).toMatchObject({ onSchedule: false, maxLagMs: 1500 });
    // A job that stopped emitting is behind.
    expect(keptSchedule(frames.slice(0, 6), 0, 10_000, 1000)).toMatchObject({ onSchedule: false, frames: 1 });
  });

  it("grows the rate until a step fails, then bisects between the best good and the lowest bad rate", async () => {
    const tried: number[] = [];
    const peak = await highestSustainedRate({ startRate: 1000, factor: 2, bisections: 2, maxSteps: 10, minRate: 100 }, async (rate) => {
      tried.push(rate);
      return rate <= 5000;
    });
    expect(tried).toEqual([1000, 2000, 4000, 8000, 6000, 5000]);
    expect(peak).toBe(5000);
  });

  it("shrinks the rate until a step holds, and has no rate when none does", async () => {
    const tried: number[] = [];
    expect(await highestSustainedRate({ startRate: 1000, factor: 2, bisections: 0, maxSteps: 10, minRate: 100 }, async (rate) => (tried.push(rate), rate <= 300))).toBe(250);
    expect(tried).toEqual([1000, 500, 250]);
    expect(await highestSustainedRate({ startRate: 1000, factor: 2, bisections: 0, maxSteps: 10, minRate: 100 }, async () => false)).toBeNull();
  });
});
