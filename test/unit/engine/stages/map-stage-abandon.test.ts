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

  it("looks at the flag every 1,024 events while it runs a block, and stops at the first look that finds it set", () => {
    let looks = 0;
    const result = new MapStage(plan, 2).run(task, () => {
      looks++;
      return false;
    });
    expect(result.events).toBe(5000);
    // Before each of the two blocks, at events 1,024 and 2,048 of each block of 2,500, and at the end.
    expect(looks).toBe(7);
    looks = 0;
    // Set from the third look on: the one at event 2,048 of the first block.
    expect(() => new MapStage(plan, 2).run(task, () => ++looks >= 3)).toThrow(TaskAbandonedError);
    expect(looks).toBe(3);
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
