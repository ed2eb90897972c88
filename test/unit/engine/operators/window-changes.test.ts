/**
 * Windows with emit "changes": each slide gives exactly the keys whose aggregate changed and a removal
 * row for each key that left, and no frame when nothing changed. Applying a slide's rows to a map
 * (set on a change row, delete on a removal row) gives the full window that emit "all" gives.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AggregateSet } from "../../../../src/engine/operators/aggregate-set.js";
import type { BatchContext, Row } from "../../../../src/engine/operators/operator.js";
import { windowAggregateStage } from "../../../../src/engine/operators/window-aggregate.js";
import type { WindowEmit } from "../../../../src/engine/operators/window-changes.js";
import type { Aggregations } from "../../../../src/engine/query/job-definition.js";
import { Duration } from "../../../../src/engine/time.js";
import { anyAggsArb, batchesArb, invertibleAggsArb, partitionsArb, RUNS } from "./reference.js";
import { rowsOf, runJob } from "./run-job.js";

const keyBy = { op: "keyBy", key: "k" };
const counted = (emit: WindowEmit, aggs: object, window: object = { length: "3s" }) => [keyBy, { op: "window", ...window, emit }, { op: "aggregate", aggs }];
const ev = (...keys: string[]) => keys.map((k) => ({ k, v: 1 }));

describe("window with emit changes", () => {
  // Window of 3 batches, sliding every batch. Batch i (from 1) holds the events listed.
  const batches = [ev("a", "a", "b"), ev("a"), [], ev("b"), [], [], [], []];

  it.each([
    ["count (incremental)", { n: { fn: "count" } }],
    ["max (merged afresh)", { n: { fn: "count" }, hi: { fn: "max", of: "v" } }],
  ])("%s: gives the changed keys and the removals of each slide, and no frame when nothing changed", (_label, aggs) => {
    const out = rowsOf(runJob(counted("changes", aggs), batches)).map((rows) => rows && rows.map(({ key, n, removed }) => ({ key, ...(removed ? { removed } : { n }) })));
    expect(out).toEqual([
      [{ key: "a", n: 2 }, { key: "b", n: 1 }],
      [{ key: "a", n: 3 }],
      // Nothing entered, nothing left.
      null,
      // Batch 1 leaves (a -2, b -1) as b enters (+1): b is unchanged.
      [{ key: "a", n: 1 }],
      // Batch 2 leaves: a has no rows left in the window.
      [{ key: "a", removed: true }],
      // Batch 3 (empty) leaves.
      null,
      [{ key: "b", removed: true }],
      null,
    ]);
  });

  it("nets a slide's batches out: a key that changes and changes back between two slides gives no row", () => {
    // Length 4, slide 2: at 2 the window holds batches 1-2, at 4 batches 1-4, at 6 batches 3-6.
    const steps = counted("changes", { n: { fn: "count" } }, { length: "4s", slide: "2s" });
    const out = rowsOf(runJob(steps, [ev("a", "b"), ev("c"), ev("a"), [], ev("b"), ev("c")]));
    expect(out).toEqual([null, [{ key: "a", n: 1 }, { key: "b", n: 1 }, { key: "c", n: 1 }], null, [{ key: "a", n: 2 }], null, [{ key: "a", n: 1 }]]);
  });

  it("countByWindow and reduceByWindow emit the one row when its value changes, from the empty window's row", () => {
    const counts = rowsOf(runJob([{ op: "countByWindow", length: "2s", emit: "changes" }], [[], ev("a"), ev("b"), ev("c"), [], [], []]));
    expect(counts).toEqual([null, [{ count: 1 }], [{ count: 2 }], null, [{ count: 1 }], [{ count: 0 }], null]);
    const sums = rowsOf(runJob([{ op: "reduceByWindow", length: "2s", emit: "changes", aggs: { s: { fn: "sum", of: "v" } } }], [ev("a"), [{ k: "b", v: 0 }], []]));
    expect(sums).toEqual([[{ s: 1 }], null, [{ s: 0 }]]);
  });

  it("countByValueAndWindow marks a value that left the window with removed: true", () => {
    const out = rowsOf(runJob([{ op: "countByValueAndWindow", of: "w", length: "2s", emit: "changes" }], [[{ w: "x" }], [{ w: "y" }], []]));
    expect(out).toEqual([[{ key: "x", count: 1 }], [{ key: "y", count: 1 }], [{ key: "x", removed: true }]]);
  });
});

/** Applies each slide's change rows to a map of keys and compares it with emit "all"'s full window. */
function expectChangesRebuildAll(allFrames: (Row[] | null)[], changeFrames: (Row[] | null)[]): void {
  const held = new Map<string, Row>();
  const sorted = (rows: Row[]) => rows.map((r) => JSON.stringify(r)).sort();
  allFrames.forEach((all, i) => {
    const changes = changeFrames[i]!;
    if (all === null) return expect(changes, `batch ${i + 1}: not a slide`).toBeNull();
    expect(changes, `batch ${i + 1}: a frame with no row`).not.toEqual([]);
    for (const row of changes ?? []) {
      const id = JSON.stringify(row.key);
      if (row.removed === true) {
        expect(held.has(id), `batch ${i + 1}: removal of a key not held`).toBe(true);
        held.delete(id);
      } else {
        expect(held.get(id), `batch ${i + 1}: a change row for an unchanged key`).not.toEqual(row);
        held.set(id, row);
      }
    }
    expect(sorted([...held.values()]), `batch ${i + 1}`).toEqual(sorted(all));
  });
}

describe("emit changes against emit all (property)", () => {
  const windowArb = fc.constantFrom({ length: "1s" }, { length: "3s" }, { length: "4s", slide: "2s" }, { length: "6s", slide: "3s" });

  it.each([
    ["invertible aggregations", invertibleAggsArb],
    ["any aggregations", anyAggsArb],
  ])("keyed, %s: applying each slide's change rows to a map gives the full window", (_label, aggsArb) => {
    fc.assert(
      fc.property(aggsArb, windowArb, batchesArb, partitionsArb, (aggs, window, batches, partitions) => {
        const all = rowsOf(runJob(counted("all", aggs, window), batches, { partitions }));
        const changes = rowsOf(runJob(counted("changes", aggs, window), batches, { partitions }));
        expectChangesRebuildAll(all, changes);
      }),
      RUNS,
    );
  });

  it("without a key (reduceByWindow): the newest row emitted is the full window's row", () => {
    fc.assert(
      fc.property(anyAggsArb, windowArb, batchesArb, partitionsArb, (aggs, window, batches, partitions) => {
        const all = rowsOf(runJob([{ op: "reduceByWindow", ...window, aggs }], batches, { partitions }));
        const changes = rowsOf(runJob([{ op: "reduceByWindow", ...window, aggs, emit: "changes" }], batches, { partitions }));
        // Before any row is emitted, the window's row is the empty window's.
        let newest: Row = rowsOf(runJob([{ op: "reduceByWindow", length: "1s", aggs }], [[]]))[0]![0]!;
        all.forEach((rows, i) => {
          if (rows === null) return expect(changes[i]).toBeNull();
          if (changes[i] !== null) {
            expect(changes[i]).toHaveLength(1);
            expect(changes[i]![0]).not.toEqual(newest);
            newest = changes[i]![0]!;
          }
          expect(newest, `batch ${i + 1}`).toEqual(rows[0]);
        });
      }),
      RUNS,
    );
  });
});

/** Counts the rows built and the entries merged or subtracted: the per-key work of a batch. */
class CountingAggregateSet extends AggregateSet {
  keyOps = 0;
  override toRow(entry: Parameters<AggregateSet["toRow"]>[0]): Row {
    this.keyOps++;
    return super.toRow(entry);
  }
  override mergeEntry(...args: Parameters<AggregateSet["mergeEntry"]>) {
    this.keyOps++;
    return super.mergeEntry(...args);
  }
  override subtractFrom(...args: Parameters<AggregateSet["subtractFrom"]>) {
    this.keyOps += args[1].size;
    super.subtractFrom(...args);
  }
}

describe("an idle window", () => {
  const KEYS = 200;
  /** Per-key operations of each batch: KEYS keys in batch 1, then `idle` batches with no events. */
  function keyOpsPerBatch(aggs: Aggregations, emit: WindowEmit, idle: number): number[] {
    const set = new CountingAggregateSet(aggs);
    const second = Duration.ofMs(1000);
    const stage = windowAggregateStage({ length: second.times(30), slide: second, batchInterval: second }, aggs, { keyed: true, set, emit });
    const reducer = stage.reducer(0);
    const ops: number[] = [];
    for (let b = 0; b <= idle; b++) {
      const ctx: BatchContext = { batchTime: (b + 1) * 1000, onRowError: (e) => { throw e; } };
      const rows = b === 0 ? Array.from({ length: KEYS }, (_, i) => ({ key: `k${i}`, v: i })) : [];
      const partial = stage.partial(rows, ctx);
      const before = set.keyOps;
      reducer.reduce([partial], ctx);
      ops.push(set.keyOps - before);
    }
    return ops;
  }

  it.each([
    ["count", { n: { fn: "count" } }],
    ["max", { hi: { fn: "max", of: "v" } }],
  ] as const)("with %s, does no per-key work on a slide with no input and no key leaving under emit changes", (_label, aggs) => {
    const [, ...idle] = keyOpsPerBatch(aggs, "changes", 10);
    expect(idle).toEqual(Array(10).fill(0));
    // emit all rebuilds every key's row every slide.
    const [, ...allIdle] = keyOpsPerBatch(aggs, "all", 10);
    for (const ops of allIdle) expect(ops).toBeGreaterThanOrEqual(KEYS);
  });
});

describe("a slide whose touched keys did not change", () => {
  it("builds no row for them: a batch that enters with the keys and counts of the one leaving costs no row", () => {
    const KEYS = 100;
    const aggs: Aggregations = { n: { fn: "count" } };
    const set = new CountingAggregateSet(aggs);
    const second = Duration.ofMs(1000);
    const stage = windowAggregateStage({ length: second.times(2), slide: second, batchInterval: second }, aggs, { keyed: true, set, emit: "changes" });
    const reducer = stage.reducer(0);
    const rowsBuilt: number[] = [];
    const frames: (Row[] | null)[] = [];
    for (let b = 1; b <= 4; b++) {
      const ctx: BatchContext = { batchTime: b * 1000, onRowError: (e) => { throw e; } };
      // The same keys every batch: from batch 3 on, the entering batch replaces the leaving one exactly.
      const partial = stage.partial(Array.from({ length: KEYS }, (_, i) => ({ key: `k${i}` })), ctx);
      set.keyOps = 0;
      frames.push(reducer.reduce([partial], ctx));
      rowsBuilt.push(set.keyOps);
    }
    expect(frames.slice(2)).toEqual([[], []]);
    // Merging the entering batch into the window and subtracting the leaving one: 2 per key, no row.
    expect(rowsBuilt.slice(2)).toEqual([2 * KEYS, 2 * KEYS]);
  });
});
