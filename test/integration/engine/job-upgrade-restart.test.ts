/**
 * A job whose state was reset by a change of definition (PUT /v1/jobs/:id with "state": "reset") and
 * whose older checkpoints and recorded batches could not be dropped (the server stopped in between, or
 * the store refused) never loads or replays them after a restart: they belong to the old definition.
 * On the embedded store, through a real restart of the engine on the same data directory.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../../src/engine/clock.js";
import { createEngine, type Engine } from "../../../src/engine/engine.js";
import { createMetrics } from "../../../src/metrics/metrics.js";
import { openEmbeddedStore } from "../../../src/store/embedded/open-embedded-store.js";
import type { Store } from "../../../src/store/types.js";
import { InThreadRunner } from "../../../src/workers/in-thread-runner.js";

const counts = { name: "totals", input: "clicks", steps: [{ op: "keyBy", key: "user" }, { op: "runningAggregate", aggs: { n: { fn: "count" } } }] };
/** Another aggregate set: its state cannot be kept. */
const sums = { name: "totals", input: "clicks", steps: [{ op: "keyBy", key: "user" }, { op: "runningAggregate", aggs: { spent: { fn: "sum", of: "amount" } } }] };

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function open(dataDir: string, clock: ManualClock): Promise<{ store: Store; engine: Engine }> {
  const store = await openEmbeddedStore({ dataDir });
  const engine = createEngine({ store, runner: new InThreadRunner(), clock, metrics: createMetrics({ defaultMetrics: false }), checkpointIntervalMs: 2000 });
  await engine.start();
  return { store, engine };
}

async function feed(engine: Engine, clock: ManualClock, batches: number): Promise<void> {
  for (let i = 0; i < batches; i++) {
    await engine.ingest("clicks", [{ user: "ann", amount: 10 }]);
    clock.advance(1000);
    await engine.whenIdle("totals");
  }
}

async function newest(engine: Engine): Promise<{ seq: number; batchTime: number; rows: unknown[] }[]> {
  return (await engine.results("totals", 1, 1000)).frames as { seq: number; batchTime: number; rows: unknown[] }[];
}

describe("a job whose state was reset", () => {
  it("never loads the old definition's checkpoints or replays its batches after a restart", async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "tributary-upgrade-"));
    dirs.push(dataDir);
    const clock = new ManualClock(500);
    const first = await open(dataDir, clock);
    await first.engine.declareStream({ name: "clicks", partitions: 2, keyField: "user" });
    await first.engine.registerJob(counts);
    await feed(first.engine, clock, 5); // checkpointed under the old definition
    // The old checkpoints and batches stay, as when the server stops right after the catalogue write.
    first.store.checkpoints.drop = () => Promise.reject(new Error("store refused"));
    first.store.batches.drop = () => Promise.reject(new Error("store refused"));
    const upgraded = await first.engine.upgradeJob("totals", sums, true);
    expect(upgraded.state).toBe("reset");
    await feed(first.engine, clock, 2);
    expect((await newest(first.engine)).at(-1)!.rows).toEqual([{ key: "ann", spent: 20 }]);
    await first.engine.stop();
    await first.store.close();

    const second = await open(dataDir, clock);
    expect((await second.engine.getJob("totals")).status).toBe("running");
    await feed(second.engine, clock, 1);
    const frames = await newest(second.engine);
    expect(frames.at(-1)!.rows).toEqual([{ key: "ann", spent: 30 }]);
    expect(frames.map((f) => f.seq)).toEqual(frames.map((_, i) => i + 1));
    expect(frames.map((f) => f.batchTime - frames[0]!.batchTime)).toEqual(frames.map((_, i) => i * 1000));
    await second.engine.stop();
    await second.store.close();
  });
});
