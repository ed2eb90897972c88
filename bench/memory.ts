/**
 * The memory figures, each measured in a fresh child process so that nothing else the benchmark did
 * is counted:
 *
 * - window state: `keys` distinct words in a topk job's 30 s window (memory-probe.ts). Peak RSS per
 *   million keys, (peak RSS − RSS before any event) × 10⁶ ÷ keys (the full run uses exactly 10⁶ keys);
 *   and bytes per window key, what deleting the job frees of the live heap and buffers ÷ keys held.
 * - deleted jobs: RSS after 50 windowed word counts on the worker pool were created, run and deleted,
 *   beside the RSS with one job and with all of them (deleted-jobs-probe.ts).
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import type { BenchResults } from "./results.js";

const run = promisify(execFile);

/** Windowed jobs created and deleted for the RSS after deleting jobs, and the seconds they run. */
export const DELETED_JOBS = { jobs: 50, batches: 6 } as const;

export async function measureMemory(keys: number, failures: string[]): Promise<BenchResults["memory"]> {
  const { baseRssBytes, peakRssBytes, stateKeys, stateBytes } = await probe<{ baseRssBytes: number; peakRssBytes: number; stateKeys: number; stateBytes: number }>(
    ["--expose-gc", path.join(import.meta.dirname, "memory-probe.js"), String(keys)],
  );
  if (stateKeys !== keys) failures.push(`memory: the window state held ${stateKeys} keys, expected ${keys}`);
  const deletedJobs = await probe<NonNullable<BenchResults["memory"]["deletedJobs"]>>(
    ["--single-threaded-gc", path.join(import.meta.dirname, "deleted-jobs-probe.js"), String(DELETED_JOBS.jobs), String(DELETED_JOBS.batches)],
  );
  return {
    rssBytesPerMillionKeys: Math.round(((peakRssBytes - baseRssBytes) * 1_000_000) / keys),
    bytesPerWindowKey: stateKeys > 0 ? Math.round(stateBytes / stateKeys) : null,
    rssAfterDeletingJobsBytes: deletedJobs.rssAfterDeletingJobsBytes,
    keys,
    peakRssBytes,
    baseRssBytes,
    stateKeys,
    stateBytes,
    deletedJobs,
  };
}

/** Runs a probe in a fresh node process and parses the JSON line it prints last. */
async function probe<T>(args: readonly string[]): Promise<T> {
  const { stdout } = await run(process.execPath, [...args], { timeout: 240_000, maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as T;
}
