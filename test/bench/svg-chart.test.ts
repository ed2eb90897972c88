import { describe, expect, it } from "vitest";
import { latencyChart } from "../../bench/svg-chart.js";

describe("latency chart", () => {
  it("draws one p99 and one p50 line per series, with finite coordinates", () => {
    const svg = latencyChart("grep latency", [
      { label: "100 ms batches", targetMs: 200, points: [{ load: 50_000, p50: 80, p99: 160 }, { load: 150_000, p50: 90, p99: 190 }] },
      { label: "1 s batches", targetMs: 1100, points: [{ load: 150_000, p50: 600, p99: 1_050 }] },
    ]);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.trim().endsWith("</svg>")).toBe(true);
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
    expect(svg.match(/<path /g)).toHaveLength(4);
    expect(svg).toContain("100 ms batches p99");
  });

  it("copes with a series that has no point", () => {
    const svg = latencyChart("empty", [{ label: "500 ms batches", targetMs: 600, points: [] }]);
    expect(svg).not.toMatch(/NaN|Infinity/);
  });
});
