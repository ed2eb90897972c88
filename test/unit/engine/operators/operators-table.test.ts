/**
 * Table tests for sample, sort, the new aggregate functions (first, last, collect, approxDistinct),
 * countByValue, distinct, the windowed sugar, mapWithState, ttl and trainLogisticRegression:
 * input batches -> the expected output of every batch, over 1 and 3 partitions.
 */
import { describe, expect, it } from "vitest";
import { JobPipeline } from "../../../../src/engine/job-pipeline.js";
import { compileJob } from "../../../../src/engine/query/compile-job.js";
import { asMultiset, rowsOf, runJob, type Row } from "./run-job.js";

interface Case {
  name: string;
  steps: unknown[];
  batches: Row[][];
  expected: (Row[] | null)[];
  /** The output order is part of the answer (sort, topK). */
  ordered?: boolean;
}

const cases: Case[] = [
  {
    name: "sort ascending by a number, missing values last, ties by key",
    steps: [{ op: "sort", by: "n" }],
    batches: [[{ key: "b", n: 2 }, { key: "x" }, { key: "c", n: 1 }, { key: "a", n: 2 }]],
    expected: [[{ key: "c", n: 1 }, { key: "a", n: 2 }, { key: "b", n: 2 }, { key: "x" }]],
    ordered: true,
  },
  {
    name: "sort descending with a limit",
    steps: [{ op: "sort", by: "n", order: "desc", limit: 2 }],
    batches: [[{ n: 1 }, { n: 5 }, { n: 3 }], [{ n: "z" }, { n: 9 }]],
    expected: [[{ n: 5 }, { n: 3 }], [{ n: "z" }, { n: 9 }]],
    ordered: true,
  },
  {
    name: "sample with fraction 1 keeps every row",
    steps: [{ op: "sample", fraction: 1 }],
    batches: [[{ n: 1 }, { n: 2 }]],
    expected: [[{ n: 1 }, { n: 2 }]],
  },
  {
    name: "first, last and collect follow arrival order",
    steps: [{ op: "keyBy", key: "k" }, { op: "aggregate", aggs: { f: { fn: "first", of: "v" }, l: { fn: "last", of: "v" }, all: { fn: "collect", of: "v" } } }],
    batches: [[{ k: "a", v: 1 }, { k: "a", v: null }, { k: "a", v: 3 }], [{ k: "a", v: "x" }]],
    expected: [[{ key: "a", f: 1, l: 3, all: [1, 3] }], [{ key: "a", f: "x", l: "x", all: ["x"] }]],
  },
  {
    name: "collect keeps the newest `limit` values",
    steps: [{ op: "runningAggregate", aggs: { recent: { fn: "collect", of: "v", limit: 2 } } }],
    batches: [[{ v: 1 }, { v: 2 }, { v: 3 }], [{ v: 4 }], []],
    expected: [[{ recent: [2, 3] }], [{ recent: [3, 4] }], [{ recent: [3, 4] }]],
  },
  {
    name: "first and last of a key with no values are null",
    steps: [{ op: "keyBy", key: "k" }, { op: "aggregate", aggs: { f: { fn: "first", of: "v" }, l: { fn: "last", of: "v" } } }],
    batches: [[{ k: "a" }]],
    expected: [[{ key: "a", f: null, l: null }]],
  },
  {
    name: "approxDistinct counts small sets exactly",
    steps: [{ op: "keyBy", key: "k" }, { op: "aggregate", aggs: { users: { fn: "approxDistinct", of: "u" } } }],
    batches: [[{ k: "a", u: "x" }, { k: "a", u: "y" }, { k: "a", u: "x" }, { k: "b", u: 1 }, { k: "b", u: "1" }]],
    expected: [[{ key: "a", users: 2 }, { key: "b", users: 2 }]],
  },
  {
    name: "a sliding window of first and last (no inverse) is merged from its batches in order",
    steps: [{ op: "window", length: "2s" }, { op: "aggregate", aggs: { f: { fn: "first", of: "v" }, l: { fn: "last", of: "v" }, d: { fn: "approxDistinct", of: "v" } } }],
    batches: [[{ v: 1 }], [{ v: 2 }], [{ v: 3 }], []],
    expected: [[{ f: 1, l: 1, d: 1 }], [{ f: 1, l: 2, d: 2 }], [{ f: 2, l: 3, d: 2 }], [{ f: 3, l: 3, d: 1 }]],
  },
  {
    name: "countByValue counts each value of the expression",
    steps: [{ op: "countByValue", of: "w" }],
    batches: [[{ w: "a" }, { w: "b" }, { w: "a" }], []],
    expected: [[{ key: "a", count: 2 }, { key: "b", count: 1 }], []],
  },
  {
    name: "distinct values of an expression, then sorted",
    steps: [{ op: "distinct", of: "user" }, { op: "sort", by: "key" }],
    batches: [[{ user: "u2" }, { user: "u1" }, { user: "u2" }]],
    expected: [[{ key: "u1" }, { key: "u2" }]],
    ordered: true,
  },
  {
    name: "distinct keys after keyBy",
    steps: [{ op: "keyBy", key: "user" }, { op: "distinct" }],
    batches: [[{ user: "u2" }, { user: "u2" }]],
    expected: [[{ key: "u2" }]],
  },
  {
    name: "countByWindow counts every row in the window, 0 when empty",
    steps: [{ op: "keyBy", key: "w" }, { op: "countByWindow", length: "2s" }],
    batches: [[{ w: "a" }, { w: "b" }], [{ w: "a" }], [], []],
    expected: [[{ count: 2 }], [{ count: 3 }], [{ count: 1 }], [{ count: 0 }]],
  },
  {
    name: "reduceByWindow aggregates the whole stream over a tumbling window",
    steps: [{ op: "reduceByWindow", length: "2s", slide: "2s", aggs: { total: { fn: "sum", of: "v" }, hi: { fn: "max", of: "v" } } }],
    batches: [[{ v: 1 }, { v: 2 }], [{ v: 5 }], [{ v: 4 }], []],
    expected: [null, [{ total: 8, hi: 5 }], null, [{ total: 4, hi: 4 }]],
  },
  {
    name: "countByValueAndWindow slides",
    steps: [{ op: "countByValueAndWindow", of: "w", length: "2s" }],
    batches: [[{ w: "a" }, { w: "b" }], [{ w: "a" }], []],
    expected: [[{ key: "a", count: 1 }, { key: "b", count: 1 }], [{ key: "a", count: 2 }, { key: "b", count: 1 }], [{ key: "a", count: 1 }]],
  },
  {
    name: "mapWithState without emit gives each updated key's state",
    steps: [{ op: "keyBy", key: "u" }, { op: "mapWithState", init: "{'count': 0}", update: "{'count': state.count + 1, 'last': value.amount}" }],
    batches: [[{ u: "a", amount: 1 }, { u: "b", amount: 2 }, { u: "a", amount: 3 }], [{ u: "a", amount: 4 }], []],
    expected: [
      [{ key: "a", state: { count: 2, last: 3 } }, { key: "b", state: { count: 1, last: 2 } }],
      [{ key: "a", state: { count: 3, last: 4 } }],
      [],
    ],
  },
  {
    name: "mapWithState emit per row, from the new state",
    steps: [{ op: "keyBy", key: "u" }, { op: "mapWithState", update: "state == null ? 1 : state + 1", emit: "state == 2 ? {'user': key, 'second': value.t} : null" }],
    batches: [[{ u: "a", t: 1 }, { u: "b", t: 2 }, { u: "a", t: 3 }], [{ u: "b", t: 4 }, { u: "b", t: 5 }]],
    expected: [[{ user: "a", second: 3 }], [{ user: "b", second: 4 }]],
  },
  {
    name: "mapWithState update giving null removes the state; init starts it again",
    steps: [{ op: "keyBy", key: "u" }, { op: "mapWithState", init: "0", update: "value.reset ? null : state + 1" }],
    batches: [[{ u: "a", reset: false }, { u: "a", reset: true }], [{ u: "a", reset: false }]],
    expected: [[{ key: "a", state: null }], [{ key: "a", state: 1 }]],
  },
  {
    name: "mapWithState times out idle keys once, in batch time",
    steps: [{ op: "keyBy", key: "u" }, { op: "mapWithState", update: "state == null ? 1 : state + 1", emit: "null", timeout: "2s", onTimeout: "{'expired': key, 'seen': state}" }],
    batches: [[{ u: "a" }, { u: "b" }], [{ u: "a" }], [], [], [{ u: "b" }]],
    expected: [[], [], [{ expired: "b", seen: 1 }], [{ expired: "a", seen: 2 }], []],
  },
  {
    name: "mapWithState without keyBy keeps one global state",
    steps: [{ op: "mapWithState", init: "0", update: "state + value.n" }],
    batches: [[{ n: 1 }, { n: 2 }], [{ n: 4 }]],
    expected: [[{ state: 3 }], [{ state: 7 }]],
  },
  {
    name: "runningAggregate with ttl drops keys idle that long",
    steps: [{ op: "keyBy", key: "u" }, { op: "runningAggregate", aggs: { c: { fn: "count" } }, ttl: "2s" }],
    batches: [[{ u: "a" }, { u: "b" }], [{ u: "b" }], [{ u: "b" }], [], []],
    expected: [[{ key: "a", c: 1 }, { key: "b", c: 1 }], [{ key: "a", c: 1 }, { key: "b", c: 2 }], [{ key: "b", c: 3 }], [{ key: "b", c: 3 }], []],
  },
  {
    name: "trainLogisticRegression emits a model row for a labelled batch, predictions for unlabelled rows",
    steps: [
      { op: "trainLogisticRegression", features: ["x"], label: "y", stepSize: 1, iterations: 1, intercept: false },
      { op: "map", set: { weight: "has(row.model) ? row.model.weights[0] : null" } },
      { op: "map", project: { weight: "weight", accuracy: "has(row.accuracy) ? row.accuracy : null", prediction: "has(row.prediction) ? row.prediction : null" } },
    ],
    // One step from w = 0: gradient = mean((0.5 - y) x) = ((0.5 - 1) * 2 + (0.5 - 0) * -2) / 2 = -1, so w = 1.
    batches: [[{ x: 2, y: 1 }, { x: -2, y: 0 }], [{ x: 3, y: null }, { x: -1, y: null }]],
    expected: [[{ weight: 1, accuracy: 0.5, prediction: null }], [{ weight: null, accuracy: null, prediction: 1 }, { weight: null, accuracy: null, prediction: 0 }]],
  },
];

describe("more operators, batch by batch", () => {
  it.each(cases)("$name", ({ steps, batches, expected, ordered }) => {
    const got = rowsOf(runJob(steps, batches));
    const norm = (rows: Row[] | null) => (rows && !ordered ? asMultiset(rows) : rows);
    expect(got.map(norm)).toEqual(expected.map(norm));
  });

  it.each(cases)("$name, over 3 partitions", ({ steps, batches, expected, ordered }) => {
    const got = rowsOf(runJob(steps, batches, { partitions: 3 }));
    const norm = (rows: Row[] | null) => (rows && !ordered ? asMultiset(rows) : rows);
    expect(got.map(norm)).toEqual(expected.map(norm));
  });

  it("first and last over partitions: partition 0's rows come before partition 1's", () => {
    // Dealt round-robin over 2 partitions: p0 gets v=1 and v=3, p1 gets v=2 and v=4.
    const steps = [{ op: "aggregate", aggs: { f: { fn: "first", of: "v" }, l: { fn: "last", of: "v" }, all: { fn: "collect", of: "v" } } }];
    const got = rowsOf(runJob(steps, [[{ v: 1 }, { v: 2 }, { v: 3 }, { v: 4 }]], { partitions: 2 }));
    expect(got).toEqual([[{ f: 1, l: 4, all: [1, 3, 2, 4] }]]);
  });

  it("sample is a deterministic function of the row, the seed and the batch time", () => {
    const rows = Array.from({ length: 2000 }, (_, i) => ({ i }));
    const run = (seed: number, partitions: number) => rowsOf(runJob([{ op: "sample", fraction: 0.25, seed }], [rows, rows], { partitions }));
    const [first, second] = run(7, 1);
    expect(first!.length).toBeGreaterThan(400);
    expect(first!.length).toBeLessThan(600);
    expect(asMultiset(run(7, 3)[0]!)).toEqual(asMultiset(first!));
    expect(run(7, 1)).toEqual([first, second]);
    expect(second).not.toEqual(first); // another batch time draws another sample
    expect(run(8, 1)[0]).not.toEqual(first);
  });

  it("approxDistinct stays within a few percent on large sets, and merges across partitions and batches", () => {
    const steps = [{ op: "runningAggregate", aggs: { d: { fn: "approxDistinct", of: "u" }, p: { fn: "approxDistinct", of: "u", precision: 14 } } }];
    const batches = Array.from({ length: 4 }, (_, b) => Array.from({ length: 5000 }, (_, i) => ({ u: `user-${b * 5000 + i}` })));
    const last = rowsOf(runJob(steps, [...batches, batches[0]!], { partitions: 3 })).at(-1)!;
    const { d, p } = last[0] as { d: number; p: number };
    expect(Math.abs(d - 20_000) / 20_000).toBeLessThan(0.07); // 3 sigma at precision 11
    expect(Math.abs(p - 20_000) / 20_000).toBeLessThan(0.025);
    const single = rowsOf(runJob(steps, [...batches, batches[0]!])).at(-1)!;
    expect(single).toEqual(last); // register maxima do not depend on how the rows were split
  });

  it("mapWithState rows whose update fails are row errors and leave the state", () => {
    const errors = { count: 0 } as { count: number; last?: string };
    const steps = [{ op: "mapWithState", init: "0", update: "state + value.n" }];
    const got = rowsOf(runJob(steps, [[{ n: 1 }, { n: "x" }, { n: 2 }], [{ n: "y" }], [{ n: 4 }]], { errors }));
    expect(got).toEqual([[{ state: 3 }], [], [{ state: 7 }]]); // a key whose rows all failed emits nothing
    expect(errors.count).toBe(2);
  });

  it("mapWithState emit that is not a map is a row error", () => {
    const errors = { count: 0 } as { count: number; last?: string };
    const got = rowsOf(runJob([{ op: "mapWithState", update: "1", emit: "[1]" }], [[{}]], { errors }));
    expect(got).toEqual([[]]);
    expect(errors.last).toMatch(/emit must give a map/);
  });

  it("mapWithState and ttl state survive snapshot and restore, timeouts included", () => {
    const steps = [
      { op: "keyBy", key: "u" },
      { op: "mapWithState", update: "state == null ? 1 : state + 1", timeout: "2s", onTimeout: "{'gone': key, 'n': state}" },
    ];
    const plan = compileJob({ name: "t", input: "s", steps });
    const batches: Row[][] = [[{ u: "a" }, { u: "b" }], [{ u: "a" }], [], [{ u: "b" }], []];
    const errors = { count: 0 };
    const straight = new JobPipeline(plan, 2);
    const expected = batches.map((b, i) => straight.process((i + 1) * 1000, b, errors));
    const first = new JobPipeline(plan, 2);
    first.process(1000, batches[0]!, errors);
    first.process(2000, batches[1]!, errors);
    const resumed = new JobPipeline(plan, 2);
    resumed.restore(first.snapshot());
    const rest = batches.slice(2).map((b, i) => resumed.process((i + 3) * 1000, b, errors));
    expect(rest).toEqual(expected.slice(2));
    expect(expected.map((o) => o?.rows)).toContainEqual([{ gone: "b", n: 1 }]);
  });

  it("trainLogisticRegression's model is the reducer state, and a restored job goes on from it", () => {
    const steps = [{ op: "trainLogisticRegression", features: ["x"], label: "y", stepSize: 0.5, iterations: 3 }];
    const plan = compileJob({ name: "t", input: "s", steps });
    const batches: Row[][] = [[{ x: 1, y: 1 }, { x: -1, y: 0 }], [{ x: 2, y: 1 }], [{ x: 1, y: null }]];
    const errors = { count: 0 };
    const straight = new JobPipeline(plan, 2);
    const expected = batches.map((b, i) => straight.process((i + 1) * 1000, b, errors));
    const first = new JobPipeline(plan, 2);
    first.process(1000, batches[0]!, errors);
    const resumed = new JobPipeline(plan, 2);
    resumed.restore(first.snapshot());
    expect(batches.slice(1).map((b, i) => resumed.process((i + 2) * 1000, b, errors))).toEqual(expected.slice(1));
  });
});
