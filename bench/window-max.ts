/**
 * A window whose aggregation has no inverse (max): CPU per slide of a keyed max over a 30 s window
 * sliding every 1 s, with emit "all" and with emit "changes", and the closing batch of a 10 s
 * tumbling window against the other batches of the same job. Each batch brings `eventsPerBatch`
 * events spread over `keys` words (seeded), so keys enter and leave the window all the time.
 *
 * CPU is this process's (user + system) from the cut to the job being idle again, on the in-thread
 * runner (cut, map, reduce, the frame stored in the in-memory result log). The answers are checked
 * against a plain recomputation: the max per word of the batches in each window.
 */
import { ManualClock } from "../src/engine/clock.js";
import { createEngine } from "../src/engine/engine.js";
import { createMetrics } from "../src/metrics/metrics.js";
import { openMemoryStore } from "../src/store/memory/open-memory-store.js";
import type { ResultFrame } from "../src/store/types.js";
import { InThreadRunner } from "../src/workers/in-thread-runner.js";
import { collectGarbage } from "./gc.js";
import { median, round } from "./stats.js";

export interface WindowMaxOptions {
  readonly keys: number;
  readonly eventsPerBatch: number;
  /** Slides measured once the 30 s window is full; the tumbling job runs as many 10 s windows as fit. */
  readonly measuredSlides: number;
}

export interface WindowMaxFigures {
  readonly keys?: number;
  readonly eventsPerBatch?: number;
  readonly measuredSlides?: number;
  /** Median CPU ms per slide of the 30 s / 1 s max window, emit "all" and emit "changes". */
  readonly slidingAllCpuMsPerSlide: number | null;
  readonly slidingChangesCpuMsPerSlide?: number | null;
  /** 10 s tumbling max window: median CPU ms of the closing batches, and of the other batches. */
  readonly tumblingClosingCpuMs?: number | null;
  readonly tumblingOtherCpuMs?: number | null;
  readonly reason?: string;
}

interface Event {
  word: string;
  n: number;
}

interface WindowRun {
  readonly cpuMs: number[];
  readonly frames: ResultFrame[];
}

const WINDOW_SEC = 30;
const TUMBLING_SEC = 10;

/** Deterministic batches of events (a small LCG, so before and after runs see the same input). */
function batchesOf(options: WindowMaxOptions, count: number): Event[][] {
  let seed = 12345;
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: count }, () =>
    Array.from({ length: options.eventsPerBatch }, () => ({ word: `w${Math.floor(next() * options.keys)}`, n: Math.floor(next() * 1_000_000) })),
  );
}

async function runWindow(window: { length: string; slide: string; emit: "all" | "changes" }, batches: readonly Event[][]): Promise<WindowRun> {
  const store = openMemoryStore();
  const clock = new ManualClock(0);
  const engine = createEngine({ store, runner: new InThreadRunner(), clock, metrics: createMetrics({ defaultMetrics: false }), checkpointIntervalMs: 1_000_000 });
  const run: WindowRun = { cpuMs: [], frames: [] };
  try {
    await engine.start();
    await engine.declareStream({ name: "words", partitions: 4 });
    await engine.registerJob({
      name: "highest",
      input: "words",
      batchInterval: "1s",
      steps: [{ op: "keyBy", key: "word" }, { op: "window", ...window }, { op: "aggregate", aggs: { top: { fn: "max", of: "n" } } }],
    });
    await engine.subscribe("highest", 1, { frame: (f) => run.frames.push(f), end: () => undefined });
    for (const events of batches) {
      for (let i = 0; i < events.length; i += 5_000) await engine.ingest("words", events.slice(i, i + 5_000));
      collectGarbage();
      const before = process.cpuUsage();
      clock.advance(1000);
      await engine.whenIdle("highest");
      const used = process.cpuUsage(before);
      run.cpuMs.push((used.user + used.system) / 1000);
    }
    return run;
  } finally {
    await engine.stop();
    await store.close();
  }
}

/** Every "all" frame must be the max per word over the batches of its window, recomputed plainly. */
function checkAll(frames: readonly ResultFrame[], batches: readonly Event[][], lengthSec: number, label: string, failures: string[]): void {
  for (const frame of frames) {
    const end = frame.batchTime / 1000;
    const top = new Map<string, number>();
    for (let b = Math.max(1, end - lengthSec + 1); b <= end; b++) {
      for (const e of batches[b - 1]!) top.set(e.word, Math.max(top.get(e.word) ?? -Infinity, e.n));
    }
    const expected = [...top].map(([key, n]) => `${key}:${n}`).sort();
    const got = frame.rows.map((r) => `${String(r.key)}:${String(r.top)}`).sort();
    if (expected.length !== got.length || expected.some((r, i) => r !== got[i])) {
      failures.push(`window max (${label}): the frame of batch ${frame.batchTime} is not the max per word of its window`);
      return;
    }
  }
}

/** The "changes" frames applied to a map must give every "all" frame. */
function checkChanges(all: readonly ResultFrame[], changes: readonly ResultFrame[], failures: string[]): void {
  const held = new Map<unknown, string>();
  const byTime = new Map(changes.map((f) => [f.batchTime, f]));
  for (const frame of all) {
    for (const row of byTime.get(frame.batchTime)?.rows ?? []) {
      if (row.removed === true) held.delete(row.key);
      else held.set(row.key, JSON.stringify(row));
    }
    const expected = frame.rows.map((r) => JSON.stringify(r)).sort();
    const got = [...held.values()].sort();
    if (expected.length !== got.length || expected.some((r, i) => r !== got[i])) {
      failures.push(`window max: the "changes" frames do not rebuild the "all" frame of batch ${frame.batchTime}`);
      return;
    }
  }
}

export async function measureWindowMax(options: WindowMaxOptions, failures: string[]): Promise<WindowMaxFigures> {
  const batches = batchesOf(options, WINDOW_SEC + options.measuredSlides);
  const measured = (run: WindowRun) => median(run.cpuMs.slice(WINDOW_SEC));
  const all = await runWindow({ length: `${WINDOW_SEC}s`, slide: "1s", emit: "all" }, batches);
  checkAll(all.frames, batches, WINDOW_SEC, "30 s / 1 s", failures);
  collectGarbage();
  const changes = await runWindow({ length: `${WINDOW_SEC}s`, slide: "1s", emit: "changes" }, batches);
  checkChanges(all.frames, changes.frames, failures);
  collectGarbage();
  const tumbling = await runWindow({ length: `${TUMBLING_SEC}s`, slide: `${TUMBLING_SEC}s`, emit: "all" }, batches);
  checkAll(tumbling.frames, batches, TUMBLING_SEC, "10 s tumbling", failures);
  const closing = tumbling.cpuMs.filter((_, i) => (i + 1) % TUMBLING_SEC === 0);
  const other = tumbling.cpuMs.filter((_, i) => (i + 1) % TUMBLING_SEC !== 0);
  return {
    keys: options.keys,
    eventsPerBatch: options.eventsPerBatch,
    measuredSlides: options.measuredSlides,
    slidingAllCpuMsPerSlide: round(measured(all)),
    slidingChangesCpuMsPerSlide: round(measured(changes)),
    tumblingClosingCpuMs: round(median(closing)),
    tumblingOtherCpuMs: round(median(other)),
  };
}
