/**
 * Checkpoints of every stateful step: a job snapshotted after any batch and restored into a fresh
 * pipeline (through the msgpack state codec) gives exactly the output of a run that never stopped.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JobPipeline } from "../../../../src/engine/job-pipeline.js";
import { compileJob } from "../../../../src/engine/query/compile-job.js";
import { batchesArb, partitionsArb, RUNS } from "./reference.js";

const STATEFUL_JOBS: unknown[][] = [
  [{ op: "keyBy", key: "k" }, { op: "window", length: "3s" }, { op: "aggregate", aggs: { n: { fn: "count" }, s: { fn: "sum", of: "v" } } }],
  [{ op: "keyBy", key: "k" }, { op: "window", length: "4s", slide: "2s" }, { op: "aggregate", aggs: { f: { fn: "first", of: "w" }, c: { fn: "collect", of: "v", limit: 3 }, d: { fn: "approxDistinct", of: "w" } } }],
  [{ op: "keyBy", key: "k" }, { op: "runningAggregate", aggs: { n: { fn: "count" }, l: { fn: "last", of: "v" } }, ttl: "2s" }],
  [{ op: "runningAggregate", aggs: { d: { fn: "approxDistinct", of: "k" }, hi: { fn: "max", of: "v" } } }],
  // emit "changes", cut between two slides too: the keys touched since the last slide are state.
  [{ op: "keyBy", key: "k" }, { op: "window", length: "4s", slide: "2s", emit: "changes" }, { op: "aggregate", aggs: { n: { fn: "count" }, s: { fn: "sum", of: "v" } } }],
  [{ op: "keyBy", key: "k" }, { op: "window", length: "3s", slide: "3s", emit: "changes" }, { op: "aggregate", aggs: { hi: { fn: "max", of: "v" }, l: { fn: "last", of: "w" } } }],
  [{ op: "reduceByWindow", length: "4s", slide: "2s", emit: "changes", aggs: { n: { fn: "count" } } }],
  [{ op: "countByValueAndWindow", of: "w", length: "4s", slide: "2s", emit: "changes" }],
  [{ op: "countByWindow", length: "3s" }],
  [{ op: "reduceByWindow", length: "2s", aggs: { lo: { fn: "min", of: "v" } } }],
  [{ op: "countByValueAndWindow", of: "w", length: "3s" }],
  [{ op: "keyBy", key: "k" }, { op: "mapWithState", init: "0", update: "state + 1", timeout: "2s", onTimeout: "{'gone': key}" }],
  [{ op: "mapWithState", update: "state == null ? [value.w] : state + [value.w]" }],
  [{ op: "keyBy", key: "k" }, { op: "join", type: "full", with: { input: "t", steps: [{ op: "keyBy", key: "k" }] }, window: { length: "3s" } }],
  [{ op: "keyBy", key: "w" }, { op: "cogroup", with: { input: "t", steps: [{ op: "keyBy", key: "w" }] }, window: { length: "4s", slide: "2s" } }],
  [{ op: "trainLogisticRegression", features: ["v == null ? 0 : v"], label: "w == 'x' ? 1 : (w == 'y' ? 0 : null)", iterations: 2 }],
];

describe("snapshot and restore", () => {
  it("continue every stateful step exactly", () => {
    fc.assert(
      fc.property(fc.constantFrom(...STATEFUL_JOBS), batchesArb, partitionsArb, fc.nat(), (steps, batches, partitions, cut) => {
        const plan = compileJob({ name: "t", input: "s", steps });
        const at = cut % batches.length;
        const errors = { count: 0 };
        // A two-input job reads the batch on one side and the batch backwards on the other.
        const inputs = (b: (typeof batches)[number]) => [b, [...b].reverse()].slice(0, plan.inputs.length);
        const straight = new JobPipeline(plan, partitions);
        const expected = batches.map((b, i) => straight.processInputs((i + 1) * 1000, inputs(b), errors));
        const first = new JobPipeline(plan, partitions);
        batches.slice(0, at).forEach((b, i) => first.processInputs((i + 1) * 1000, inputs(b), errors));
        const resumed = new JobPipeline(plan, partitions);
        resumed.restore(first.snapshot());
        const rest = batches.slice(at).map((b, i) => resumed.processInputs((at + i + 1) * 1000, inputs(b), errors));
        expect(rest).toEqual(expected.slice(at));
      }),
      RUNS,
    );
  });

  it("gives a window without an inverse its rows in the same order after a restore (a key that stayed in the window through its oldest slice leaving)", () => {
    const steps = STATEFUL_JOBS[1]!;
    const batches = [[], [{ k: "d", v: 0, w: "x" }], [{ k: "a", v: null, w: "x" }], [], [], [{ k: "d", v: 0, w: "x" }], [{ k: "a", v: null, w: "x" }], []];
    const plan = compileJob({ name: "t", input: "s", steps });
    const errors = { count: 0 };
    const straight = new JobPipeline(plan, 1);
    const expected = batches.map((b, i) => straight.processInputs((i + 1) * 1000, [b], errors));
    const first = new JobPipeline(plan, 1);
    batches.slice(0, 6).forEach((b, i) => first.processInputs((i + 1) * 1000, [b], errors));
    const resumed = new JobPipeline(plan, 1);
    resumed.restore(first.snapshot());
    const rest = batches.slice(6).map((b, i) => resumed.processInputs((6 + i + 1) * 1000, [b], errors));
    expect(rest).toEqual(expected.slice(6));
  });
});
