/** A map task whose result nobody wants any more stops early instead of running to the end. */
import { describe, expect, it } from "vitest";
import { encodeBlock } from "../../../../src/engine/block-codec.js";
import { perRow, TaskAbandonedError } from "../../../../src/engine/operators/operator.js";
import { compileJob } from "../../../../src/engine/query/compile-job.js";
import { MapStage } from "../../../../src/engine/stages/map-stage.js";

const plan = compileJob({ name: "t", input: "s", steps: [{ op: "flatMap", expr: "text.split(' ')", as: "word" }, { op: "keyBy", key: "word" }, { op: "aggregate", aggs: { n: { fn: "count" } } }] });
const events = Array.from({ length: 5000 }, (_, i) => ({ text: `a b c${i % 7}` }));
const task = { jobId: "t", batchTime: 1000, partition: 0, blocks: [encodeBlock(events.slice(0, 2500)), encodeBlock(events.slice(2500))] };

describe("MapStage and an abandoned task", () => {
  it("runs to the end while it is wanted", () => {
    const result = new MapStage(plan, 2).run(task, () => false);
    expect(result.events).toBe(5000);
    expect(result.shares).toHaveLength(2);
  });

  it("stops before its first block once abandoned", () => {
    expect(() => new MapStage(plan, 2).run(task, () => true)).toThrow(TaskAbandonedError);
  });

  it("looks at the flag at most every 256 events while they are fast, and stops at the first look that finds it set", () => {
    let looks = 0;
    const result = new MapStage(plan, 2).run(task, () => {
      looks++;
      return false;
    });
    expect(result.events).toBe(5000);
    // Fast rows: the stride between looks grows to 256, so there are about 5,000 / 256 looks, not 5,000.
    expect(looks).toBeGreaterThanOrEqual(Math.ceil(5000 / 256));
    expect(looks).toBeLessThan(100);
    looks = 0;
    expect(() => new MapStage(plan, 2).run(task, () => ++looks >= 3)).toThrow(TaskAbandonedError);
    expect(looks).toBe(3);
  });

  it("looks after every row while rows are slow, so a costly task stops within a row of being abandoned", () => {
    // Each row costs milliseconds (a nested comprehension over 150 elements).
    const costly = compileJob({ name: "t", input: "s", steps: [{ op: "filter", where: "size(xs.map(a, xs.map(b, a + b))) > 0" }] });
    const xs = Array.from({ length: 150 }, (_, i) => i);
    const rows = 8;
    let looks = 0;
    new MapStage(costly, 0).run({ jobId: "t", batchTime: 1000, partition: 0, blocks: [encodeBlock(Array.from({ length: rows }, () => ({ xs })))] }, () => {
      looks++;
      return false;
    });
    // Before the block, after each row, and at the end.
    expect(looks).toBe(rows + 2);
  });

  it("stops inside a step's loop, within 1024 rows of being abandoned", () => {
    let handled = 0;
    const ctx = { batchTime: 1000, onRowError: () => undefined, abandoned: () => true };
    expect(() => perRow(events, ctx, () => void handled++)).toThrow(TaskAbandonedError);
    expect(handled).toBe(1023);
    // Without the flag, every row is handled.
    handled = 0;
    perRow(events, { ...ctx, abandoned: () => false }, () => void handled++);
    expect(handled).toBe(5000);
  });
});
