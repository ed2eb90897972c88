/**
 * A window with emit "changes" gives the same frames on the worker pool as in-thread, also when workers
 * die and their partitions are rebuilt from a checkpoint taken between two slides; and its frames hold
 * only what changed: applied to a map, they rebuild emit "all"'s window at every slide.
 */
import { describe, expect, it } from "vitest";
import type { ResultFrame } from "../../../src/store/types.js";
import { InThreadRunner } from "../../../src/workers/in-thread-runner.js";
import { runJob } from "../../support/job-run.js";
import { batchesOf, poolsClosedAfterEach } from "../../support/worker-pools.js";

/** A word count over 4 s sliding every 2 s (checkpoints asked every 3 s come every 4 s: whole slides). */
const wordCount = (emit: "all" | "changes") => ({
  batchInterval: "1s",
  steps: [
    { op: "flatMap", expr: "text.split(' ')", as: "word" },
    { op: "keyBy", key: "word" },
    { op: "window", length: "4s", slide: "2s", emit },
    { op: "aggregate", aggs: { count: { fn: "count" }, longest: { fn: "max", of: "size(word)" } } },
  ],
});

const pool = poolsClosedAfterEach();

/** The window each frame of emit "changes" describes, rebuilt by applying the frames in order. */
function rebuilt(frames: readonly ResultFrame[]): Map<number, string[]> {
  const held = new Map<unknown, unknown>();
  const windows = new Map<number, string[]>();
  for (const frame of frames) {
    for (const row of frame.rows) {
      if (row.removed === true) held.delete(row.key);
      else held.set(row.key, row);
    }
    windows.set(frame.batchTime, [...held.values()].map((r) => JSON.stringify(r)).sort());
  }
  return windows;
}

describe("window with emit changes", { timeout: 180_000 }, () => {
  it("gives the in-thread runner's frames on the pool, also with workers killed, and they rebuild emit all's windows", async () => {
    const batches = batchesOf(16, 150, 3);
    // Quiet batches 9 to 14 s: the window ending 12 s is empty (every key removed), the one ending
    // 14 s changes nothing (no frame).
    for (const i of [8, 9, 10, 11, 12, 13]) batches[i] = [];
    const options = { batches, checkpointIntervalMs: 3000 };
    const all = await runJob({ runner: new InThreadRunner(), definition: wordCount("all"), ...options });
    const expected = await runJob({ runner: new InThreadRunner(), definition: wordCount("changes"), ...options });
    const workers = await pool();
    const got = await runJob({
      runner: workers,
      definition: wordCount("changes"),
      ...options,
      beforeBatch: async (i) => {
        if (i !== 4 && i !== 9) return;
        // Before batches 5 s and 10 s: the dead worker's partitions come back from the checkpoint of
        // 4 s or 8 s and the tasks since, the latter through a slide made only of keys leaving.
        const victim = workers.liveWorkers()[0]!;
        await workers.inject(victim, { kind: "crash" });
        while (workers.liveWorkers().includes(victim)) await new Promise((r) => setTimeout(r, 1));
      },
    });
    expect(got).toEqual(expected);

    // Every frame of emit all has its twin state in the changes applied so far.
    const windows = rebuilt(expected);
    let held: string[] = [];
    for (const frame of all) {
      held = windows.get(frame.batchTime) ?? held;
      expect(held, `window ending ${frame.batchTime}`).toEqual(frame.rows.map((r) => JSON.stringify(r)).sort());
    }
    expect(expected.flatMap((f) => f.rows).some((r) => r.removed === true)).toBe(true);
    expect(expected.find((f) => f.batchTime === 12_000)!.rows.every((r) => r.removed === true)).toBe(true);
    expect(expected.map((f) => f.batchTime)).not.toContain(14_000);
  });
});
