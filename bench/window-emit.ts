/**
 * A window's emit "all" against emit "changes": CPU per slide of a keyed windowed count whose window
 * holds many keys while each slide changes few of them. The window (300 s, sliding every 1 s) is
 * filled by a first batch of `keys` distinct words; each measured batch then brings `eventsPerSlide`
 * events on words already in it (so no key enters or leaves), and the idle batches bring none. With
 * "all" every slide rebuilds, stores and sends a row per key; with "changes" only the changed keys.
 *
 * CPU is this process's (user + system) from the cut to the job being idle again, on the in-thread
 * runner: cut, map, reduce, the result frame stored in the in-memory result log. The answers are
 * checked: the "changes" frames applied to a map give every "all" frame.
 */
import { ManualClock } from "../src/engine/clock.js";
import { createEngine } from "../src/engine/engine.js";
import { createMetrics } from "../src/metrics/metrics.js";
import { openMemoryStore } from "../src/store/memory/open-memory-store.js";
import type { ResultFrame } from "../src/store/types.js";
import { InThreadRunner } from "../src/workers/in-thread-runner.js";
import { collectGarbage } from "./gc.js";
import { median, ratio, round } from "./stats.js";

export interface WindowEmitFigures {
  /** emit "all" CPU per busy slide ÷ emit "changes" CPU per busy slide. */
  readonly ratio: number | null;
  readonly keys?: number;
  readonly eventsPerSlide?: number;
  readonly measuredSlides?: number;
  /** Median CPU ms per slide with a few changes, and per idle slide (no input, no key leaving). */
  readonly allCpuMsPerSlide?: number;
  readonly changesCpuMsPerSlide?: number;
  readonly allIdleCpuMsPerSlide?: number;
  readonly changesIdleCpuMsPerSlide?: number;
  /** Rows in a busy slide's frame. */
  readonly allRowsPerSlide?: number;
  readonly changesRowsPerSlide?: number;
  readonly reason?: string;
}

export interface WindowEmitOptions {
  readonly keys: number;
  readonly eventsPerSlide: number;
  readonly measuredSlides: number;
}

interface EmitRun {
  readonly busyCpuMs: number[];
  readonly idleCpuMs: number[];
  readonly frames: ResultFrame[];
}

const WORD = (i: number) => `w${i}`;

async function runEmit(emit: "all" | "changes", options: WindowEmitOptions): Promise<EmitRun> {
  const store = openMemoryStore();
  const clock = new ManualClock(0);
  const engine = createEngine({ store, runner: new InThreadRunner(), clock, metrics: createMetrics({ defaultMetrics: false }), checkpointIntervalMs: 1_000_000 });
  const frames: ResultFrame[] = [];
  const run: EmitRun = { busyCpuMs: [], idleCpuMs: [], frames };
  try {
    await engine.start();
    await engine.declareStream({ name: "words", partitions: 4 });
    await engine.registerJob({
      name: "counts",
      input: "words",
      batchInterval: "1s",
      steps: [{ op: "keyBy", key: "word" }, { op: "window", length: "300s", slide: "1s", emit }, { op: "aggregate", aggs: { count: { fn: "count" } } }],
    });
    await engine.subscribe("counts", 1, { frame: (f) => frames.push(f), end: () => undefined });
    const batch = async (events: { word: string }[], into?: number[]) => {
      for (let i = 0; i < events.length; i += 5_000) await engine.ingest("words", events.slice(i, i + 5_000));
      collectGarbage();
      const before = process.cpuUsage();
      clock.advance(1000);
      await engine.whenIdle("counts");
      const used = process.cpuUsage(before);
      into?.push((used.user + used.system) / 1000);
    };
    await batch(Array.from({ length: options.keys }, (_, i) => ({ word: WORD(i) })));
    for (let s = 0; s < options.measuredSlides; s++) {
      // A few keys spread over the window's words, different every slide; then an idle slide.
      const events = Array.from({ length: options.eventsPerSlide }, (_, i) => ({ word: WORD((s * 7919 + i * 104_729) % options.keys) }));
      await batch(events, run.busyCpuMs);
      await batch([], run.idleCpuMs);
    }
    return run;
  } finally {
    await engine.stop();
    await store.close();
  }
}

/** Every "all" frame must equal the "changes" frames so far, applied to a map. */
function checkAnswers(all: readonly ResultFrame[], changes: readonly ResultFrame[], failures: string[]): void {
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
      failures.push(`window emit: the "changes" frames do not rebuild the "all" frame of batch ${frame.batchTime}`);
      return;
    }
  }
}

export async function measureWindowEmit(options: WindowEmitOptions, failures: string[]): Promise<WindowEmitFigures> {
  const all = await runEmit("all", options);
  collectGarbage();
  const changes = await runEmit("changes", options);
  checkAnswers(all.frames, changes.frames, failures);
  const busyRows = (frames: ResultFrame[]) => median(frames.slice(1).filter((f) => (f.batchTime / 1000) % 2 === 0).map((f) => f.rows.length));
  const allBusy = median(all.busyCpuMs);
  const changesBusy = median(changes.busyCpuMs);
  return {
    ratio: ratio(allBusy, changesBusy),
    keys: options.keys,
    eventsPerSlide: options.eventsPerSlide,
    measuredSlides: options.measuredSlides,
    allCpuMsPerSlide: round(allBusy),
    changesCpuMsPerSlide: round(changesBusy),
    allIdleCpuMsPerSlide: round(median(all.idleCpuMs)),
    changesIdleCpuMsPerSlide: round(median(changes.idleCpuMs)),
    allRowsPerSlide: busyRows(all.frames),
    changesRowsPerSlide: busyRows(changes.frames),
  };
}
