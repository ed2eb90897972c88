/**
 * Replay: how fast a job registered with startFrom "earliest" works through a stream's retained
 * history. `events` word events are stored first (requests of 1,000), then a running word count is
 * registered and timed, on the wall clock, from registration until its progress says it caught up;
 * its totals are checked against a recount of the history it was promised.
 *
 * In-thread runner, in-memory store, 100 ms batches, catch-up batches of `catchUpBatchBytes` per
 * partition: the figure is the engine's catch-up rate, not HTTP's.
 */
import { SystemClock } from "../src/engine/clock.js";
import { createEngine } from "../src/engine/engine.js";
import { createMetrics } from "../src/metrics/metrics.js";
import { openMemoryStore } from "../src/store/memory/open-memory-store.js";
import { InThreadRunner } from "../src/workers/in-thread-runner.js";
import { round } from "./stats.js";

export interface CatchUpOptions {
  readonly events: number;
  readonly catchUpBatchBytes: number;
}

export interface CatchUpFigures {
  /** History events read per second of wall time, from registration until caught up. */
  readonly eventsPerSec: number | null;
  readonly events?: number;
  readonly historyBytes?: number;
  readonly catchUpMs?: number;
  /** Batches the job ran until it was live. */
  readonly batches?: number;
  readonly catchUpBatchBytes?: number;
  readonly reason?: string;
}

const PARTITIONS = 4;
const REQUEST_EVENTS = 1_000;

export async function measureCatchUp(options: CatchUpOptions, words: readonly string[], failures: string[]): Promise<CatchUpFigures> {
  const store = openMemoryStore();
  const engine = createEngine({ store, runner: new InThreadRunner(), clock: new SystemClock(), metrics: createMetrics({ defaultMetrics: false }), defaultPartitions: PARTITIONS, retention: "forever", catchUpBatchBytes: options.catchUpBatchBytes });
  try {
    await engine.start();
    const expected = new Map<string, number>();
    for (let stored = 0; stored < options.events; stored += REQUEST_EVENTS) {
      const events = Array.from({ length: Math.min(REQUEST_EVENTS, options.events - stored) }, (_, i) => ({ word: words[(stored + i) % words.length]! }));
      for (const e of events) expected.set(e.word, (expected.get(e.word) ?? 0) + 1);
      await engine.ingest("history", events);
    }
    const started = performance.now();
    const job = await engine.registerJob({ name: "replay", input: "history", startFrom: "earliest", batchInterval: "100ms", steps: [{ op: "keyBy", key: "word" }, { op: "runningAggregate", aggs: { n: { fn: "count" } } }] });
    let progress = (await engine.getJob("replay")).progress;
    while (progress === null || progress.catchingUp || progress.eventsProcessed < job.reads.events) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      progress = (await engine.getJob("replay")).progress;
    }
    const catchUpMs = performance.now() - started;
    const { frames } = await engine.results("replay", 1, 100_000);
    const last = frames.at(-1)?.rows ?? [];
    const counted = new Map(last.map((r) => [String(r.key), Number(r.n)]));
    const wrong = [...expected].filter(([word, n]) => counted.get(word) !== n).length;
    if (job.reads.events !== options.events || wrong > 0) failures.push(`catch-up: promised ${job.reads.events} of ${options.events} events; ${wrong} words counted wrong`);
    return {
      eventsPerSec: round((options.events * 1000) / catchUpMs),
      events: options.events,
      historyBytes: job.reads.bytes,
      catchUpMs: round(catchUpMs),
      batches: progress.batchesProcessed,
      catchUpBatchBytes: options.catchUpBatchBytes,
    };
  } finally {
    await engine.stop();
    await store.close();
  }
}
