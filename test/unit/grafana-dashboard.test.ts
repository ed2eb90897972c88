/** The Grafana dashboard only plots metrics Tributary really exports. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createMetrics } from "../../src/metrics/metrics.js";

describe("grafana/tributary-dashboard.json", () => {
  it("names only metrics that the registry defines", async () => {
    const dashboard = JSON.parse(readFileSync(new URL("../../grafana/tributary-dashboard.json", import.meta.url), "utf8")) as {
      panels: { targets: { expr: string }[] }[];
    };
    const defined = new Set((await createMetrics({ defaultMetrics: false }).registry.getMetricsAsJSON()).map((m) => m.name));
    const used = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/tributary_[a-z_]+/g) ?? []));
    expect(used.length).toBeGreaterThan(10);
    for (const name of used) expect(defined, name).toContain(name.replace(/_(bucket|sum|count)$/, ""));
  });
});
