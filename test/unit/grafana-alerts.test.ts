/** The alert rules are valid for Prometheus and read only metrics Tributary exports. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createMetrics } from "../../src/metrics/metrics.js";
import { hasBinary, promtool, PROMTOOL_MISSING } from "../support/promtool.js";

const RULES = fileURLToPath(new URL("../../grafana/alerts.yml", import.meta.url));
const PROMTOOL = hasBinary("promtool");

describe("grafana/alerts.yml", () => {
  it.skipIf(!PROMTOOL)(PROMTOOL ? "passes promtool check rules" : `passes promtool check rules (skipped: ${PROMTOOL_MISSING})`, () => {
    const { status, output } = promtool(["check", "rules", RULES]);
    expect(output).toContain("SUCCESS: 11 rules found");
    expect(status).toBe(0);
  });

  it("names only metrics that the registry defines, and alerts on what an SRE needs", async () => {
    const text = readFileSync(RULES, "utf8");
    const defined = new Set((await createMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
    const used = (text.match(/tributary_[a-z0-9_]+/g) ?? []).map((n) => n.replace(/_(bucket|sum|count)$/, ""));
    for (const name of used) expect(defined, name).toContain(name);
    const alerts = [...text.matchAll(/- alert: (\w+)/g)].map((m) => m[1]);
    expect(alerts).toEqual(expect.arrayContaining(["TributaryJobFallingBehind", "TributaryCheckpointsFailing", "TributaryCheckpointTooOld", "TributaryLagGrowing", "TributaryWorkerRestarts", "TributaryStoreErrors", "TributaryStoreOperationsFailing", "TributarySubscribersDropped", "TributaryServiceUnavailable"]));
  });
});
