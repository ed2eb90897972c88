/**
 * Prometheus's own checker (Debian's `prometheus` package, which .ci/run installs when missing), run on
 * Tributary's exposition and alert rules.
 */
import { spawnSync } from "node:child_process";

export const PROMTOOL_MISSING = "promtool is not installed (apt-get install prometheus; .ci/run installs it)";

export function hasBinary(name: string): boolean {
  return spawnSync(name, ["--version"], { encoding: "utf8" }).status === 0;
}

/** promtool's exit status and what it printed. */
export function promtool(args: readonly string[], input?: string): { status: number | null; output: string } {
  const run = spawnSync("promtool", args, { input, encoding: "utf8" });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}
