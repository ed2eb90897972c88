/**
 * Child-process entry for the memory figures (run by memory.ts with --expose-gc, never imported): puts
 * `keys` distinct words into the window state of a topk job on the in-thread runner and prints, as one
 * JSON line, the resident set size before any event and its peak (the kernel's high-water mark)
 * after, and what the window state itself holds: the live heap (heapUsed plus array buffers, after a
 * full collection) with the job, minus the same once the job is deleted (its input stays stored).
 */
import { readFileSync } from "node:fs";
import { distinctKeySource } from "./corpus.js";
import { EngineSession } from "./engine-driver.js";

const keys = Number(process.argv[2] ?? 1_000_000);
const batches = 4;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run the memory probe with node --expose-gc");

const baseRssBytes = process.memoryUsage.rss();
const source = distinctKeySource(keys, batches);
const session = await EngineSession.open("topk", { runner: "in-thread", partitions: 4, windowBatches: 30 });
let stateKeys: number;
let stateBytes: number;
try {
  for (let b = 1; b <= source.batches; b++) await session.runBatch(b, source);
  stateKeys = (await session.result()).stateSize;
  const withState = liveBytes();
  await session.deleteJob();
  stateBytes = withState - liveBytes();
} finally {
  await session.close();
}
const peakRssBytes = highWaterRss();
process.stdout.write(`${JSON.stringify({ keys, baseRssBytes, peakRssBytes, stateKeys, stateBytes })}\n`);

/** Bytes held by live objects: the heap and array buffers after a full collection. */
function liveBytes(): number {
  gc!();
  gc!();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

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
