/** Worker pools for tests, each closed after its test; and batches of tweets to run through them. */
import { afterEach } from "vitest";
import { tweets } from "../../examples/lib/corpus.mjs";
import { WorkerPool, type WorkerPoolOptions } from "../../src/workers/pool/worker-pool.js";

/** A windowed word count: a keyed, stateful job whose every batch emits, for pool-against-in-thread checks. */
export const windowedWordCount = {
  batchInterval: "1s",
  steps: [
    { op: "flatMap", expr: "text.split(' ')", as: "word" },
    { op: "keyBy", key: "word" },
    { op: "window", length: "5s", slide: "1s" },
    { op: "aggregate", aggs: { count: { fn: "count" }, total: { fn: "sum", of: "size(word)" } } },
  ],
};

/** `count` batches of `perBatch` generated tweets, the same for the same `seed`. */
export function batchesOf(count: number, perBatch: number, seed: number) {
  const all = tweets(count * perBatch, seed);
  return Array.from({ length: count }, (_, i) => all.slice(i * perBatch, (i + 1) * perBatch));
}

/** Call at a test file's top level: returns how to start a pool (2 workers unless told) closed after each test. */
export function poolsClosedAfterEach(): (options?: Partial<WorkerPoolOptions>) => Promise<WorkerPool> {
  const pools: WorkerPool[] = [];
  afterEach(async () => {
    for (const pool of pools.splice(0)) await pool.close();
  });
  return async (options = {}) => {
    const pool = await WorkerPool.start({ workers: 2, ...options });
    pools.push(pool);
    return pool;
  };
}
