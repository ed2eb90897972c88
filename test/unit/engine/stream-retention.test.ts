/** Retention sizes and durations as users write them, and what a retention spec bounds. */
import { describe, expect, it } from "vitest";
import { checkRetention, parseBytes, parseRetentionTime, retentionOf } from "../../../src/engine/stream-retention.js";

describe("stream retention", () => {
  it.each([
    ["7d", 7 * 86_400_000],
    ["24h", 86_400_000],
    ["30m", 1_800_000],
    ["1.5h", 5_400_000],
    ["500ms", 500],
    ["7 days", undefined],
    ["0s", undefined],
    ["-1d", undefined],
  ])("reads the time %j as %j ms", (text, ms) => {
    expect(parseRetentionTime(text)).toBe(ms);
  });

  it.each([
    ["1GiB", 2 ** 30],
    ["256MiB", 256 * 2 ** 20],
    ["10GB", 10e9],
    ["1.5KiB", 1536],
    ["4096", 4096],
    ["12 B", 12],
    ["lots", undefined],
    ["0B", undefined],
    ["1gib", undefined],
  ])("reads the size %j as %j bytes", (text, bytes) => {
    expect(parseBytes(text)).toBe(bytes);
  });

  it("bounds by time, by bytes, by both, or not at all", () => {
    expect(retentionOf("forever")).toEqual({ timeMs: null, bytes: null });
    expect(retentionOf({ time: "1h" })).toEqual({ timeMs: 3_600_000, bytes: null });
    expect(retentionOf({ bytes: "1KiB" })).toEqual({ timeMs: null, bytes: 1024 });
    expect(retentionOf(checkRetention({ time: "2d", bytes: 2048 }))).toEqual({ timeMs: 172_800_000, bytes: 2048 });
  });
});
