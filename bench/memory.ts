/**
 * Peak memory for distinct keys in window state, measured in a fresh child process so that nothing
 * else the benchmark did is counted. Reported per million keys: (peak RSS − RSS before any event) ×
 * 10⁶ ÷ keys; the full run uses exactly 10⁶ keys.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import type { BenchResults } from "./results.js";

const run = promisify(execFile);

export async function measureMemory(keys: number, failures: string[]): Promise<BenchResults["memory"]> {
  const probe = path.join(import.meta.dirname, "memory-probe.js");
  const { stdout } = await run(process.execPath, [probe, String(keys)], { timeout: 240_000, maxBuffer: 1 << 20 });
  const line = stdout.trim().split("\n").at(-1) ?? "";
  const { baseRssBytes, peakRssBytes, stateKeys } = JSON.parse(line) as { baseRssBytes: number; peakRssBytes: number; stateKeys: number };
  if (stateKeys !== keys) failures.push(`memory: the window state held ${stateKeys} keys, expected ${keys}`);
  return {
    rssBytesPerMillionKeys: Math.round(((peakRssBytes - baseRssBytes) * 1_000_000) / keys),
    keys,
    peakRssBytes,
    baseRssBytes,
    stateKeys,
  };
}
