/**
 * What this machine itself gives two threads over one on the scaling figure's map work, with no pool
 * and no engine around it: the map tasks of the same wordcount batches run on one bare worker thread,
 * then on two at once (each running all of them), taking turns three times. 2 × (time on one) ÷ (time
 * on two) is the most two threads can get for that work here, right then: the ceiling the pool's
 * figure is read against (memory and caches are shared, and the machine with other tenants).
 */
import { Worker } from "node:worker_threads";
import type { BatchSource } from "./corpus.js";
import { ratio } from "./stats.js";

export interface MachineScaling {
  readonly ratio: number | null;
  readonly oneThreadMs: number;
  readonly twoThreadsMs: number;
}

/** `partitions` map tasks a batch, the batch's blocks dealt round-robin: as many events a task as the engine's map tasks get. */
function mapTasks(source: BatchSource, batches: readonly number[], partitions: number): Uint8Array[][] {
  const tasks: Uint8Array[][] = [];
  for (const b of batches) {
    const blocks = source.batch(b).blocks();
    for (let p = 0; p < partitions; p++) tasks.push(blocks.filter((_, i) => i % partitions === p));
  }
  return tasks;
}

export async function measureMachineScaling(source: BatchSource, batches: readonly number[], partitions: number, windowBatches: number): Promise<MachineScaling> {
  const tasks = mapTasks(source, batches, partitions);
  const times: Record<1 | 2, number[]> = { 1: [], 2: [] };
  for (const threads of [1, 2, 1, 2, 1, 2] as const) {
    const each = await Promise.all(Array.from({ length: threads }, () => runThread(tasks, partitions, windowBatches)));
    times[threads].push(Math.max(...each));
  }
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const [one, two] = [mean(times[1]), mean(times[2])];
  return { ratio: ratio(2 * one, two), oneThreadMs: Math.round(one), twoThreadsMs: Math.round(two) };
}

/** Milliseconds one thread takes to run every task through the wordcount job's map stage (after one warm-up pass). */
function runThread(tasks: Uint8Array[][], partitions: number, windowBatches: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const thread = new Worker(new URL("./map-thread.js", import.meta.url), { workerData: { tasks, partitions, windowBatches } });
    thread.once("message", (ms: number) => resolve(ms));
    thread.once("error", reject);
    // A thread that ends without a figure (after a message, this settles nothing).
    thread.once("exit", (code) => reject(new Error(`the map thread exited (code ${code}) without a figure`)));
  });
}
