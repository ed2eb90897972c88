/**
 * No batch is cut while the server is down, so the batch times recorded after a restart jump over the
 * downtime. A sliding window must still hold exactly the batches whose time is in (end - length, end]:
 * the batches skipped hold nothing and the ones from before the outage leave by their time. Every
 * windowed step is run through a crash and a restart after downtime shorter than the slide, between
 * the slide and the window's length, and longer than the window, on the in-thread runner and on the
 * worker pool (with a worker killed after the restart, so its partitions are rebuilt), and every frame
 * is compared with a recount of the events of the recorded batches its window covers. For a window
 * with emit "changes", the frames so far applied to a map (keys that left removed) must equal that
 * recount: keys from before the outage leave by time with a removal row.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../../src/engine/clock.js";
import { createEngine, type Engine } from "../../../src/engine/engine.js";
import type { TaskRunner } from "../../../src/engine/task-runner.js";
import { createMetrics } from "../../../src/metrics/metrics.js";
import { openEmbeddedStore } from "../../../src/store/embedded/open-embedded-store.js";
import type { BatchDescriptor, ResultFrame, Store } from "../../../src/store/types.js";
import { InThreadRunner } from "../../../src/workers/in-thread-runner.js";
import { WorkerPool } from "../../../src/workers/pool/worker-pool.js";

type Row = Record<string, unknown>;
const INTERVAL = 500;
const LENGTH = 3000;
const SLIDE = 1000;
const window = { op: "window", length: "3s", slide: "1s" };
const spec = { length: "3s", slide: "1s" };

/** One job per windowed step, with how to recount a window's rows from the events it covers. */
const JOBS: { steps: Row[]; twoInputs?: boolean; changes?: boolean; recount: (events: Row[], others: Row[]) => Row[] }[] = [
  {
    steps: [{ op: "keyBy", key: "user" }, window, { op: "aggregate", aggs: { count: { fn: "count" }, total: { fn: "sum", of: "n" } } }],
    recount: (events) => byKey(events, (e) => e.user, (rows, key) => ({ key, count: rows.length, total: sum(rows) })),
  },
  {
    steps: [{ op: "keyBy", key: "user" }, window, { op: "aggregate", aggs: { top: { fn: "max", of: "n" }, low: { fn: "min", of: "n" } } }],
    recount: (events) => byKey(events, (e) => e.user, (rows, key) => ({ key, top: Math.max(...rows.map((r) => Number(r.n))), low: Math.min(...rows.map((r) => Number(r.n))) })),
  },
  { steps: [{ op: "countByWindow", ...spec }], recount: (events) => [{ count: events.length }] },
  {
    changes: true,
    // 68 keys, about half of them in a window: keys leave the window while others stay or enter.
    steps: [{ op: "keyBy", key: "word + '-' + string(n)" }, { ...window, emit: "changes" }, { op: "aggregate", aggs: { count: { fn: "count" }, total: { fn: "sum", of: "n" } } }],
    recount: (events) => byKey(events, (e) => `${String(e.word)}-${String(e.n)}`, (rows, key) => ({ key, count: rows.length, total: sum(rows) })),
  },
  {
    steps: [{ op: "reduceByWindow", ...spec, aggs: { total: { fn: "sum", of: "n" }, largest: { fn: "max", of: "n" } } }],
    recount: (events) => [{ total: sum(events), largest: events.length === 0 ? null : Math.max(...events.map((r) => Number(r.n))) }],
  },
  {
    steps: [{ op: "countByValueAndWindow", of: "word", ...spec }],
    recount: (events) => byKey(events, (e) => e.word, (rows, key) => ({ key, count: rows.length })),
  },
  {
    twoInputs: true,
    steps: [
      { op: "keyBy", key: "user" },
      { op: "join", with: { input: "other", steps: [{ op: "keyBy", key: "user" }] }, window: spec },
      { op: "map", project: { key: "key", n: "left.n", x: "right.x" } },
    ],
    recount: (events, others) => events.flatMap((l) => others.filter((r) => r.user === l.user).map((r) => ({ key: l.user, n: l.n, x: r.x }))),
  },
  {
    twoInputs: true,
    steps: [
      { op: "keyBy", key: "user" },
      { op: "cogroup", with: { input: "other", steps: [{ op: "keyBy", key: "user" }] }, window: spec },
      { op: "map", project: { key: "key", left: "size(left)", right: "size(right)" } },
    ],
    recount: (events, others) => {
      const keys = new Set([...events, ...others].map((e) => e.user));
      return [...keys].map((key) => ({ key, left: events.filter((e) => e.user === key).length, right: others.filter((e) => e.user === key).length }));
    },
  },
];

function byKey(events: Row[], keyOf: (e: Row) => unknown, row: (rows: Row[], key: unknown) => Row): Row[] {
  const groups = new Map<unknown, Row[]>();
  for (const e of events) groups.set(keyOf(e), [...(groups.get(keyOf(e)) ?? []), e]);
  return [...groups].map(([key, rows]) => row(rows, key));
}

const sum = (rows: Row[]) => rows.reduce((n, r) => n + Number(r.n), 0);
const sorted = (rows: readonly Row[]) => rows.map((r) => JSON.stringify(r)).sort();

const dirs: string[] = [];
const runners: TaskRunner[] = [];
afterEach(async () => {
  for (const runner of runners.splice(0)) await runner.close();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Records what the test sent: every block's events (by stream, partition and offset) and every descriptor seen. */
class Ledger {
  readonly blocks = new Map<string, Row[]>();
  readonly descriptors = new Map<string, Map<number, BatchDescriptor>>();
  private next = 0;

  async feed(engine: Engine, store: Store, clock: ManualClock, batches: number): Promise<void> {
    for (let b = 0; b < batches; b++) {
      // One request per user and stream, so each is one block (the streams are keyed by user).
      for (const user of ["u0", "u1", "u2"]) {
        const events = Array.from({ length: 1 + ((this.next + user.length) % 3) }, () => ({ user, n: this.next++ % 17, word: `w${this.next % 4}` }));
        this.remember("in", await engine.ingest("in", events), events);
        if (this.next % 2 === 0) {
          const others = [{ user, x: this.next }];
          this.remember("other", await engine.ingest("other", others), others);
        }
      }
      clock.advance(INTERVAL);
      for (let j = 0; j < JOBS.length; j++) await engine.whenIdle(`j${j}`);
      await this.collect(store);
    }
  }

  /** Descriptors are trimmed after checkpoints, so they are collected after every batch. */
  async collect(store: Store): Promise<void> {
    for (let j = 0; j < JOBS.length; j++) {
      const seen = this.descriptors.get(`j${j}`) ?? new Map<number, BatchDescriptor>();
      this.descriptors.set(`j${j}`, seen);
      for (const d of await store.batches.list(`j${j}`, -Infinity, 100_000)) seen.set(d.batchTime, d);
    }
  }

  eventsOf(d: BatchDescriptor, stream: string): Row[] {
    return d.ranges.filter((r) => r.stream === stream).flatMap((r) => Array.from({ length: r.to - r.from }, (_, i) => this.blocks.get(`${stream}:${r.partition}:${r.from + i}`)!).flat());
  }

  private remember(stream: string, receipt: { blocks: { partition: number; offset: number }[] }, events: Row[]): void {
    expect(receipt.blocks).toHaveLength(1);
    this.blocks.set(`${stream}:${receipt.blocks[0]!.partition}:${receipt.blocks[0]!.offset}`, events);
  }
}

async function open(dataDir: string, clock: ManualClock, runner: TaskRunner) {
  const store = await openEmbeddedStore({ dataDir });
  const engine = createEngine({ store, runner, clock, metrics: createMetrics({ defaultMetrics: false }), checkpointIntervalMs: 2000 });
  await engine.start();
  return { store, engine };
}

async function newRunner(kind: "in-thread" | "pool"): Promise<TaskRunner> {
  const runner = kind === "pool" ? await WorkerPool.start({ workers: 2, standbyWorkers: 0 }) : new InThreadRunner();
  runners.push(runner);
  return runner;
}

async function runThroughOutage(kind: "in-thread" | "pool", downtimeMs: number) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "tributary-downtime-"));
  dirs.push(dataDir);
  const ledger = new Ledger();
  const before = new ManualClock(250);
  const first = await open(dataDir, before, await newRunner(kind));
  await first.engine.declareStream({ name: "in", partitions: 2, keyField: "user" });
  await first.engine.declareStream({ name: "other", partitions: 2, keyField: "user" });
  for (const [j, job] of JOBS.entries()) await first.engine.registerJob({ name: `j${j}`, input: "in", batchInterval: "500ms", steps: job.steps });
  await ledger.feed(first.engine, first.store, before, 9);
  const crashedAt = before.now();
  // A crash: the engine is dropped, not stopped (its clock never moves again, so it cuts nothing more).
  await first.store.close();

  const after = new ManualClock(crashedAt + downtimeMs);
  const runner = await newRunner(kind);
  const second = await open(dataDir, after, runner);
  await ledger.collect(second.store);
  await ledger.feed(second.engine, second.store, after, 3);
  if (runner instanceof WorkerPool) {
    // A worker lost after the restart: its partitions are rebuilt from the checkpoint and the tasks since.
    await runner.inject(runner.liveWorkers()[0]!, { kind: "crash" });
    await runner.whenRecovered();
  }
  await ledger.feed(second.engine, second.store, after, 8);
  const frames = await Promise.all(JOBS.map(async (_, j) => (await second.engine.results(`j${j}`, 1, 10_000)).frames));
  await second.engine.stop();
  await second.store.close();
  return { ledger, frames, crashedAt, restartedAt: crashedAt + downtimeMs };
}

function expectRecounted(ledger: Ledger, frames: readonly ResultFrame[][]): void {
  for (const [j, job] of JOBS.entries()) {
    const descriptors = [...ledger.descriptors.get(`j${j}`)!.values()];
    expect(frames[j]!.map((f) => f.seq)).toEqual(frames[j]!.map((_, i) => i + 1));
    /** emit "changes": the window the frames so far describe. */
    const held = new Map<unknown, Row>();
    for (const frame of frames[j]!) {
      const { start, end } = frame.window!;
      expect([end, end - start, end % SLIDE]).toEqual([frame.batchTime, LENGTH, 0]);
      const covered = descriptors.filter((d) => d.batchTime > start && d.batchTime <= end);
      const events = covered.flatMap((d) => ledger.eventsOf(d, "in"));
      const others = job.twoInputs ? covered.flatMap((d) => ledger.eventsOf(d, "other")) : [];
      for (const row of job.changes ? frame.rows : []) {
        if (row.removed === true) held.delete(row.key);
        else held.set(row.key, row);
      }
      const rows = job.changes ? [...held.values()] : frame.rows;
      expect(sorted(rows), `job j${j} (${String(job.steps.at(-1)!.op)}), window (${start}, ${end}]`).toEqual(sorted(job.recount(events, others)));
    }
  }
}

describe.each(["in-thread", "pool"] as const)("windows across a restart (%s runner)", (kind) => {
  it.each([
    ["shorter than the slide", 700],
    ["between the slide and the window's length", 2200],
    ["longer than the window", 5300],
  ])("downtime %s: every frame equals a recount of the batches in its window", async (_, downtime) => {
    const { ledger, frames, crashedAt, restartedAt } = await runThroughOutage(kind, downtime);
    expectRecounted(ledger, frames);
    // The restart was really crossed: frames on both sides of it, and (for an outage shorter than the
    // window) a window after the restart that still holds batches from before it.
    // Keys left the window with a removal row.
    expect(frames[3]!.some((f) => f.rows.some((r) => r.removed === true))).toBe(true);
    const counts = frames[2]!;
    expect(counts.some((f) => f.batchTime <= crashedAt && f.rows[0]!.count !== 0)).toBe(true);
    expect(counts.some((f) => f.batchTime > restartedAt)).toBe(true);
    const spanning = counts.filter((f) => f.batchTime > restartedAt && f.window!.start < crashedAt);
    if (downtime < LENGTH) expect(spanning.length).toBeGreaterThan(0);
    else expect(spanning).toEqual([]);
  });
});
