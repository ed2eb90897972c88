/** The Grafana dashboard only plots metrics Tributary really exports, and lets one pick jobs. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createMetrics } from "../../src/metrics/metrics.js";

interface Dashboard {
  panels: { type: string; targets?: { expr: string }[] }[];
  templating: { list: { name: string; multi: boolean; includeAll: boolean; query: { query: string } }[] };
}

const dashboard = JSON.parse(readFileSync(new URL("../../grafana/tributary-dashboard.json", import.meta.url), "utf8")) as Dashboard;
const expressions = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));

/** Metric names an expression reads, without the _bucket, _sum and _count of a histogram. */
function metricNames(expr: string): string[] {
  return (expr.match(/tributary_[a-z0-9_]+/g) ?? []).map((name) => name.replace(/_(bucket|sum|count)$/, ""));
}

const text = readFileSync(new URL("../../grafana/tributary-dashboard.json", import.meta.url), "utf8");

describe("grafana/tributary-dashboard.json", () => {
  it("resolves every ${...} it uses from its own variables, so it loads as provisioned from the file (no import step to fill __inputs)", () => {
    const variables = new Set(dashboard.templating.list.map((v) => v.name));
    const used = new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!));
    expect(used.size).toBeGreaterThan(0);
    for (const name of used) expect(variables, `\${${name}}`).toContain(name);
    expect((JSON.parse(text) as { __inputs?: unknown }).__inputs).toBeUndefined();
    const source = dashboard.templating.list.find((v) => v.name === "DS_PROMETHEUS") as unknown as { type: string; query: string };
    expect(source).toMatchObject({ type: "datasource", query: "prometheus" });
  });

  it("names only metrics that the registry defines", async () => {
    const defined = new Set((await createMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
    const used = expressions.flatMap(metricNames);
    expect(used.length).toBeGreaterThan(30);
    for (const name of used) expect(defined, name).toContain(name);
  });

  it("has a multi-select $job_name variable that every per-job panel filters on", async () => {
    const variable = dashboard.templating.list.find((v) => v.name === "job_name");
    expect(variable).toMatchObject({ multi: true, includeAll: true });
    expect(variable!.query.query).toBe("label_values(tributary_job_status, job_name)");
    const all = createMetrics().registry.getMetricsAsArray() as unknown as { name: string; labelNames: string[] }[];
    const perJob = new Set(all.filter((m) => m.labelNames.includes("job_name")).map((m) => m.name));
    const filtered = expressions.filter((e) => metricNames(e).some((n) => perJob.has(n)));
    expect(filtered.length).toBeGreaterThan(15);
    for (const expr of filtered) expect(expr).toContain('job_name=~"$job_name"');
  });
});
