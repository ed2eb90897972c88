/**
 * A restarted engine on the same data directory picks every job up where it was: the newest complete
 * checkpoint that loads, then the recorded batches since. Frames after the restart equal those of a
 * run that never stopped; input no checkpoint needs is trimmed; a damaged checkpoint falls back to the
 * one before.
 */
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { tweets } from "../../../examples/lib/corpus.mjs";
import { ManualClock } from "../../../src/engine/clock.js";
import { createEngine, type Engine } from "../../../src/engine/engine.js";
import { createMetrics } from "../../../src/metrics/metrics.js";
import { openEmbeddedStore } from "../../../src/store/embedded/open-embedded-store.js";
import type { ResultFrame, Store } from "../../../src/store/types.js";
import type { TaskRunner } from "../../../src/engine/task-runner.js";
import { InThreadRunner } from "../../../src/workers/in-thread-runner.js";
import { WorkerPool } from "../../../src/workers/pool/worker-pool.js";

const job = {
  name: "wc",
  input: "tweets",
  batchInterval: "1s",
  steps: [
    { op: "flatMap", expr: "text.split(' ')", as: "word" },
    { op: "keyBy", key: "word" },
    { op: "window", length: "4s", slide: "1s" },
    { op: "aggregate", aggs: { count: { fn: "count" } } },
  ],
};
/** Per user, a tweet and the replies it got within 3 s (any tweet of another stream, "replies"). */
const joinJob = {
  name: "wc",
  input: "tweets",
  batchInterval: "1s",
  steps: [
    { op: "keyBy", key: "user" },
    { op: "join", type: "left", with: { input: "replies", steps: [{ op: "keyBy", key: "user" }] }, window: { length: "3s" } },
    { op: "map", project: { key: "key", tweet: "left.text", reply: "right == null ? '' : right.text" } },
  ],
};
/** Tweets per user with a 2 s slide and emit "changes": a checkpoint between slides keeps the keys touched since. */
const changesJob = {
  ...job,
  steps: [{ op: "keyBy", key: "user" }, { op: "window", length: "4s", slide: "2s", emit: "changes" }, { op: "aggregate", aggs: { tweets: { fn: "count" }, longest: { fn: "max", of: "size(text)" } } }],
};
const corpus = tweets(20 * 50, 9);
const replies = tweets(20 * 20, 10);
const batch = (i: number) => corpus.slice(i * 50, (i + 1) * 50);

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function open(dataDir: string, clock: ManualClock, runner: TaskRunner = new InThreadRunner()): Promise<{ store: Store; engine: Engine; frames: ResultFrame[] }> {
  const store = await openEmbeddedStore({ dataDir });
  const engine = createEngine({ store, runner, clock, metrics: createMetrics({ defaultMetrics: false }), checkpointIntervalMs: 3000, retention: { bytes: "1B" } }); // only the job holds blocks back
  await engine.start();
  const frames: ResultFrame[] = [];
  return { store, engine, frames };
}

/** Feeds batches from..to (exclusive), one per second of the manual clock. */
async function feed(engine: Engine, clock: ManualClock, from: number, to: number) {
  for (let i = from; i < to; i++) {
    await engine.ingest("tweets", batch(i));
    await engine.ingest("replies", replies.slice(i * 20, (i + 1) * 20));
    clock.advance(1000);
    await engine.whenIdle("wc");
  }
}

async function tempDir() {
  const dir = await mkdtemp(path.join(os.tmpdir(), "tributary-recovery-"));
  dirs.push(dir);
  return dir;
}

/** Routed by user, so events land in the same partitions in every run (round-robin restarts with the server). */
async function declareStreams(engine: Engine) {
  await engine.declareStream({ name: "tweets", partitions: 3, keyField: "user" });
  await engine.declareStream({ name: "replies", partitions: 2, keyField: "user" });
}

async function uninterrupted(definition: object = job): Promise<ResultFrame[]> {
  const clock = new ManualClock(500);
  const { engine, store } = await open(await tempDir(), clock);
  await declareStreams(engine);
  await engine.registerJob(definition);
  await feed(engine, clock, 0, 20);
  const frames = (await engine.results("wc", 1, 1000)).frames;
  await engine.stop();
  await store.close();
  return frames;
}

/**
 * Runs `batches` batches (11 unless told) in a new data directory, then "crashes" (drops the engine
 * without stopping it), or stops it as shutdown does.
 */
async function runAndCrash(definition: object, { stop = false, batches = 11 } = {}): Promise<{ dataDir: string; clock: ManualClock }> {
  const dataDir = await tempDir();
  const clock = new ManualClock(500);
  const first = await open(dataDir, clock);
  await declareStreams(first.engine);
  await first.engine.registerJob(definition);
  await feed(first.engine, clock, 0, batches);
  if (stop) await first.engine.stop();
  await first.store.close();
  return { dataDir, clock };
}

/** Runs `crashAfter` batches (11 unless told), "crashes" (or stops), reopens, runs the rest of the 20. */
async function interrupted(damage?: (dataDir: string) => Promise<void>, definition: object = job, { stop = false, crashAfter = 11 } = {}) {
  const { dataDir, clock } = await runAndCrash(definition, { stop, batches: crashAfter });
  await damage?.(dataDir);
  const second = await open(dataDir, clock);
  const trimmedFrom = await Promise.all([0, 1, 2].map((p) => second.store.streams.startOffset("tweets", p)));
  const repliesTrimmedFrom = await Promise.all([0, 1].map((p) => second.store.streams.startOffset("replies", p)));
  const checkpointAfterRestart = (await second.engine.getJob("wc")).progress?.lastCheckpoint;
  await feed(second.engine, clock, crashAfter, 20);
  const frames = (await second.engine.results("wc", 1, 1000)).frames;
  const oldestBatch = (await second.store.batches.list("wc", -Infinity, 1))[0]!.batchTime;
  await second.engine.stop();
  await second.store.close();
  return { frames, trimmedFrom, repliesTrimmedFrom, oldestBatch, checkpointAfterRestart };
}

describe("restart recovery", () => {
  it("continues from the newest checkpoint with the frames of a run that never stopped, and trims what no checkpoint needs", async () => {
    const expected = await uninterrupted();
    const { frames, trimmedFrom, oldestBatch, checkpointAfterRestart } = await interrupted();
    expect(frames).toHaveLength(20);
    expect(frames).toEqual(expected);
    // Before its first new checkpoint, the job shows the one it recovered from (every 3 s: 9 s was the newest).
    expect(checkpointAfterRestart).toEqual({ batchTime: 9000, tookMs: null });
    // Checkpoints every 3 batches: the input and descriptors before the older kept checkpoint are gone.
    expect(trimmedFrom.some((offset) => offset > 0)).toBe(true);
    expect(oldestBatch).toBeGreaterThan(1000);
  });

  it("checkpoints every job where it stands when stopped for shutdown, so a restart replays nothing", async () => {
    const expected = await uninterrupted();
    const { frames, checkpointAfterRestart } = await interrupted(undefined, job, { stop: true });
    // The last batch before the stop (11 s), not the last regular checkpoint (9 s).
    expect(checkpointAfterRestart).toEqual({ batchTime: 11000, tookMs: null });
    expect(frames).toEqual(expected);
  });

  it.each([
    ["crashed (the checkpoint of 8 s, then 9 s to 11 s replayed)", false],
    ["stopped between two slides (the checkpoint of 11 s holds the keys touched since 10 s)", true],
  ])("brings back a window with emit changes exactly when %s", async (_label, stop) => {
    const expected = await uninterrupted(changesJob);
    const { frames, checkpointAfterRestart } = await interrupted(undefined, changesJob, { stop });
    expect(checkpointAfterRestart?.batchTime).toBe(stop ? 11000 : 8000);
    expect(frames).toEqual(expected);
    expect(frames.flatMap((f) => f.rows).some((r) => r.removed === true)).toBe(true);
    expect(frames.length).toBeGreaterThan(5);
  });

  it("brings back a windowed join of two streams exactly, and trims both streams", async () => {
    const expected = await uninterrupted(joinJob);
    const { frames, trimmedFrom, repliesTrimmedFrom } = await interrupted(undefined, joinJob);
    expect(frames).toHaveLength(20);
    expect(frames).toEqual(expected);
    expect(frames.flatMap((f) => f.rows).filter((r) => r.reply !== "").length).toBeGreaterThan(20);
    expect(trimmedFrom.some((offset) => offset > 0)).toBe(true);
    expect(repliesTrimmedFrom.some((offset) => offset > 0)).toBe(true);
  });

  it("rebuilds a worker lost right after a restart from the checkpoint it restarted from", async () => {
    const expected = await uninterrupted();
    const { dataDir, clock } = await runAndCrash(job);
    // Restarted on a worker pool: checkpoint 9 s restored, 10 s and 11 s replayed. A worker dies
    // before the next checkpoint (12 s), so its partitions are rebuilt from the restart's checkpoint.
    const pool = await WorkerPool.start({ workers: 2 });
    try {
      const second = await open(dataDir, clock, pool);
      const victim = pool.liveWorkers()[0]!;
      await pool.inject(victim, { kind: "crash" });
      while (pool.liveWorkers().includes(victim)) await new Promise((r) => setTimeout(r, 1));
      await feed(second.engine, clock, 11, 20);
      const frames = (await second.engine.results("wc", 1, 1000)).frames;
      await second.engine.stop();
      await second.store.close();
      expect(frames).toEqual(expected);
    } finally {
      await pool.close();
    }
  });

  it("falls back to the previous checkpoint when the newest one is damaged", async () => {
    const expected = await uninterrupted();
    const { frames } = await interrupted(async (dataDir) => {
      const jobDir = path.join(dataDir, "checkpoints", "wc");
      const times = (await readdir(jobDir)).map(Number).filter(Number.isFinite).sort((a, b) => b - a);
      expect(times.length).toBe(2);
      // A half-written partition snapshot in the newest complete checkpoint.
      await writeFile(path.join(jobDir, String(times[0]), "1.snap"), Buffer.from([0xc1, 0x00]));
    });
    expect(frames).toEqual(expected);
  });

  it("falls back to the job's start when its only checkpoint is damaged", async () => {
    const expected = await uninterrupted();
    // Batches 1 s to 4 s ran; the one checkpoint (3 s) is damaged, so every batch is run again from the
    // start: its descriptors and input must still be there.
    const { frames } = await interrupted(async (dataDir) => {
      const jobDir = path.join(dataDir, "checkpoints", "wc");
      const times = (await readdir(jobDir)).map(Number).filter(Number.isFinite);
      expect(times).toEqual([3000]);
      await writeFile(path.join(jobDir, "3000", "1.snap"), Buffer.from([0xc1, 0x00]));
    }, job, { crashAfter: 4 });
    expect(frames).toEqual(expected);
  });
});

describe("many jobs after a restart", () => {
  /** The in-thread runner, whose deploys wait until `together` of them are under way at once. */
  class TogetherRunner extends InThreadRunner {
    inFlight = 0;
    most = 0;
    private release: () => void = () => undefined;
    private readonly gate: Promise<void>;
    constructor(private readonly together: number) {
      super();
      this.gate = new Promise((resolve) => (this.release = resolve));
    }
    override async deploy(deployment: Parameters<InThreadRunner["deploy"]>[0]): Promise<void> {
      this.inFlight += 1;
      this.most = Math.max(this.most, this.inFlight);
      if (this.inFlight >= this.together) this.release();
      await this.gate;
      this.inFlight -= 1;
      return super.deploy(deployment);
    }
  }

  it("recover side by side, and each counts every event once", async () => {
    const dataDir = await tempDir();
    const clock = new ManualClock(500);
    const first = await open(dataDir, clock);
    await declareStreams(first.engine);
    const names = Array.from({ length: 12 }, (_, i) => `wc${i}`);
    for (const name of names) await first.engine.registerJob({ ...job, name });
    for (let i = 0; i < 3; i++) {
      await first.engine.ingest("tweets", batch(i));
      clock.advance(1000);
      for (const name of names) await first.engine.whenIdle(name);
    }
    await first.store.close(); // a crash: the engine is dropped without stopping

    // Recovery deploys several jobs at once: one at a time, the gate (4 under way) would never open.
    const runner = new TogetherRunner(4);
    const second = await open(dataDir, clock, runner);
    expect(runner.most).toBeGreaterThanOrEqual(4);
    await second.engine.ingest("tweets", batch(3));
    clock.advance(1000);
    const expected = new Map<string, number>();
    for (const t of corpus.slice(0, 4 * 50)) for (const w of String(t.text).split(" ")) if (w) expected.set(w, (expected.get(w) ?? 0) + 1);
    // The 4 s window now holds the four batches, two of them sent before the crash.
    for (const name of names) {
      await second.engine.whenIdle(name);
      expect((await second.engine.getJob(name)).status).toBe("running");
      const { last } = await second.engine.results(name, 1, 1);
      const [frame] = (await second.engine.results(name, last, 1)).frames;
      expect(new Map(frame!.rows.map((r) => [String(r.key), Number(r.count)]))).toEqual(expected);
    }
    await second.engine.stop();
    await second.store.close();
  });
});
