/**
 * A tenant's share of the Prometheus exposition: series labelled with a stream or job (`stream`,
 * `job_name`) are kept only when they are the tenant's, and show its names as it knows them; series with
 * neither label (the process, the HTTP server, the worker pool) are kept as they are.
 */
import type { TenantNames } from "./tenant-engine.js";

const NAME_LABEL = /\b(stream|job_name)="((?:[^"\\]|\\.)*)"/g;

export function tenantExposition(text: string, names: TenantNames): string {
  const kept: string[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || !line.includes("{")) {
      kept.push(line);
      continue;
    }
    let theirs = true;
    const shown = line.replace(NAME_LABEL, (_match, label: string, value: string) => {
      if (!names.owns(value)) theirs = false;
      return `${label}="${names.unqualify(value)}"`;
    });
    if (theirs) kept.push(shown);
  }
  return kept.join("\n");
}
