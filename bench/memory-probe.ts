/**
 * Child-process entry for the memory figure (run by memory.ts, never imported): puts `keys` distinct
 * words into the window state of a topk job on the in-thread runner and prints, as one JSON line,
 * the resident set size before any event and its peak (the kernel's high-water mark) after.
 */
import { readFileSync } from "node:fs";
import { distinctKeySource } from "./corpus.js";
import { runEngine } from "./engine-driver.js";

const keys = Number(process.argv[2] ?? 1_000_000);
const batches = 4;
const baseRssBytes = process.memoryUsage.rss();
const run = await runEngine("topk", distinctKeySource(keys, batches), { runner: "in-thread", partitions: 4, windowBatches: 30 });
const peakRssBytes = highWaterRss();
process.stdout.write(`${JSON.stringify({ keys, baseRssBytes, peakRssBytes, stateKeys: run.stateSize })}\n`);

/**
 * The high-water RSS of this process's own address space (VmHWM). Not resourceUsage().maxRSS: on
 * Linux that carries over the parent's high-water mark across fork and exec.
 */
function highWaterRss(): number {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
    if (kb !== undefined) return Number(kb) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}
