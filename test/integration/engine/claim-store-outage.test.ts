/**
 * A job whose recovery meets a store that cannot answer for now is not failed: the node gives it up
 * and a later round claims it again, once the store answers, and it runs on as before.
 */
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../../src/engine/clock.js";
import { createEngine } from "../../../src/engine/engine.js";
import { createMetrics } from "../../../src/metrics/metrics.js";
import { openMemoryStore } from "../../../src/store/memory/open-memory-store.js";
import { StoreUnavailableError, type Store } from "../../../src/store/types.js";
import { InThreadRunner } from "../../../src/workers/in-thread-runner.js";

const job = { name: "counts", input: "clicks", batchInterval: "1s", steps: [{ op: "keyBy", key: "user" }, { op: "runningAggregate", aggs: { n: { fn: "count" } } }] };
const node = { id: "node-a", address: () => "", leaseTtlMs: 600 };

/** The store, with its result log unable to answer while `down` says so. */
function flaky(store: Store, down: () => boolean): Store {
  const bounds = store.results.bounds.bind(store.results);
  return {
    ...store,
    results: {
      ...store.results,
      append: store.results.append.bind(store.results),
      read: store.results.read.bind(store.results),
      drop: store.results.drop.bind(store.results),
      bounds: async (jobId) => {
        if (down()) throw new StoreUnavailableError("Redis cannot read the result bounds right now: command timed out");
        return bounds(jobId);
      },
    },
  };
}

describe("a claim that meets a store outage", () => {
  it("gives the job up instead of failing it, and claims it again once the store answers", async () => {
    const store = openMemoryStore();
    const clock = new ManualClock(1_700_000_000_000);
    const metrics = () => createMetrics({ defaultMetrics: false });
    const first = createEngine({ store, runner: new InThreadRunner(), clock, metrics: metrics(), node });
    await first.start();
    await first.declareStream({ name: "clicks", partitions: 1 });
    await first.registerJob(job);
    await first.ingest("clicks", [{ user: "ann" }, { user: "bob" }]);
    clock.advance(1000);
    await first.whenIdle("counts");
    await first.stop();

    // Restarted while the store cannot answer: the claim fails, the job stays running in the catalogue.
    let down = true;
    const second = createEngine({ store: flaky(store, () => down), runner: new InThreadRunner(), clock, metrics: metrics(), node });
    await second.start();
    expect((await second.getJob("counts")).status).toBe("running");
    expect((await second.cluster()).jobs).toEqual([{ id: "counts", status: "running", node: null, epoch: null }]);

    // The store answers again: a later round claims the job, and it counts on from where it was.
    down = false;
    const deadline = Date.now() + 60_000;
    while ((await second.cluster()).jobs[0]!.node !== "node-a" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await second.whenIdle("counts");
    await second.ingest("clicks", [{ user: "ann" }]);
    clock.advance(1000);
    await second.whenIdle("counts");
    const { frames } = await second.results("counts", 1, 100);
    expect(frames.at(-1)!.rows).toEqual(expect.arrayContaining([{ key: "ann", n: 2 }]));
    expect((await second.getJob("counts")).status).toBe("running");
    await second.stop();
  });
});
