/**
 * Table-driven operator tests: a job's steps, input batches -> the expected output of every batch.
 * Batch i has batchTime (i + 1) * interval, as the scheduler would give it.
 */
import { describe, expect, it } from "vitest";
import { JobPipeline, type BatchOutput } from "../../../../src/engine/job-pipeline.js";
import { compileJob } from "../../../../src/engine/query/compile-job.js";

type Row = Record<string, unknown>;

function run(steps: unknown[], batches: Row[][], partitions = 1, batchInterval = "1s"): (BatchOutput | null)[] {
  const plan = compileJob({ name: "t", input: "s", batchInterval, steps });
  const pipeline = new JobPipeline(plan, partitions);
  const errors = { count: 0 };
  return batches.map((events, i) => pipeline.process((i + 1) * plan.batchInterval.ms, events, errors));
}

const rowsOf = (outputs: (BatchOutput | null)[]) => outputs.map((o) => (o === null ? null : o.rows));
const sortByKey = (rows: Row[]) => [...rows].sort((a, b) => String(a.key).localeCompare(String(b.key)));
const asMultiset = (rows: Row[]) => rows.map((r) => JSON.stringify(r)).sort();

interface Case {
  name: string;
  steps: unknown[];
  batches: Row[][];
  expected: (Row[] | null)[];
  sort?: boolean;
}

const cases: Case[] = [
  {
    name: "map set keeps other fields and computes new ones",
    steps: [{ op: "map", set: { double: "n * 2" } }],
    batches: [[{ n: 1, s: "a" }], [{ n: 5, s: "b" }]],
    expected: [[{ n: 1, s: "a", double: 2 }], [{ n: 5, s: "b", double: 10 }]],
  },
  {
    name: "map project keeps only the named fields",
    steps: [{ op: "map", project: { upper: "s.upperAscii()" } }],
    batches: [[{ n: 1, s: "ab" }]],
    expected: [[{ upper: "AB" }]],
  },
  {
    name: "filter keeps rows whose condition is true",
    steps: [{ op: "filter", where: "n > 2" }],
    batches: [[{ n: 1 }, { n: 3 }, { n: 7 }], [{ n: 2 }]],
    expected: [[{ n: 3 }, { n: 7 }], []],
  },
  {
    name: "flatMap splits text into one row per word",
    steps: [{ op: "flatMap", expr: "text.split(' ')", as: "word" }],
    batches: [[{ text: "a b" }, { text: "c" }]],
    expected: [[{ word: "a" }, { word: "b" }, { word: "c" }]],
  },
  {
    name: "keyBy sets the key field",
    steps: [{ op: "keyBy", key: "user" }],
    batches: [[{ user: "u1", n: 1 }]],
    expected: [[{ user: "u1", n: 1, key: "u1" }]],
  },
  {
    name: "aggregate per batch by key: count, sum, min, max, avg",
    steps: [
      { op: "keyBy", key: "k" },
      { op: "aggregate", aggs: { n: { fn: "count" }, total: { fn: "sum", of: "v" }, lo: { fn: "min", of: "v" }, hi: { fn: "max", of: "v" }, mean: { fn: "avg", of: "v" } } },
    ],
    batches: [[{ k: "a", v: 1 }, { k: "b", v: 10 }, { k: "a", v: 3 }], [{ k: "b", v: 4 }]],
    expected: [
      [
        { key: "a", n: 2, total: 4, lo: 1, hi: 3, mean: 2 },
        { key: "b", n: 1, total: 10, lo: 10, hi: 10, mean: 10 },
      ],
      [{ key: "b", n: 1, total: 4, lo: 4, hi: 4, mean: 4 }],
    ],
    sort: true,
  },
  {
    name: "aggregate without keyBy gives one row, also for an empty batch",
    steps: [{ op: "filter", where: "line.contains('error')" }, { op: "aggregate", aggs: { count: { fn: "count" } } }],
    batches: [[{ line: "error: x" }, { line: "ok" }, { line: "an error" }], []],
    expected: [[{ count: 2 }], [{ count: 0 }]],
  },
  {
    name: "tumbling window emits once per length, covering only its own batches",
    steps: [{ op: "keyBy", key: "w" }, { op: "window", length: "2s", slide: "2s" }, { op: "aggregate", aggs: { count: { fn: "count" } } }],
    batches: [[{ w: "a" }], [{ w: "a" }, { w: "b" }], [{ w: "b" }], [{ w: "b" }]],
    expected: [null, [{ key: "a", count: 2 }, { key: "b", count: 1 }], null, [{ key: "b", count: 2 }]],
    sort: true,
  },
  {
    name: "sliding window (3 batches, slide 1) adds the entering batch and drops the leaving one",
    steps: [{ op: "keyBy", key: "w" }, { op: "window", length: "3s", slide: "1s" }, { op: "aggregate", aggs: { count: { fn: "count" }, s: { fn: "sum", of: "v" } } }],
    batches: [[{ w: "a", v: 1 }], [{ w: "a", v: 2 }], [{ w: "b", v: 5 }], [], [{ w: "a", v: 7 }], []],
    expected: [
      [{ key: "a", count: 1, s: 1 }],
      [{ key: "a", count: 2, s: 3 }],
      [{ key: "a", count: 2, s: 3 }, { key: "b", count: 1, s: 5 }],
      [{ key: "a", count: 1, s: 2 }, { key: "b", count: 1, s: 5 }],
      [{ key: "a", count: 1, s: 7 }, { key: "b", count: 1, s: 5 }],
      [{ key: "a", count: 1, s: 7 }],
    ],
    sort: true,
  },
  {
    name: "sliding window with max (no inverse) is merged from its batches",
    steps: [{ op: "keyBy", key: "w" }, { op: "window", length: "2s" }, { op: "aggregate", aggs: { hi: { fn: "max", of: "v" } } }],
    batches: [[{ w: "a", v: 9 }], [{ w: "a", v: 2 }], [{ w: "a", v: 4 }]],
    expected: [[{ key: "a", hi: 9 }], [{ key: "a", hi: 9 }], [{ key: "a", hi: 4 }]],
  },
  {
    name: "runningAggregate carries totals across batches",
    steps: [{ op: "keyBy", key: "w" }, { op: "runningAggregate", aggs: { count: { fn: "count" } } }],
    batches: [[{ w: "a" }, { w: "b" }], [{ w: "a" }], []],
    expected: [
      [{ key: "a", count: 1 }, { key: "b", count: 1 }],
      [{ key: "a", count: 2 }, { key: "b", count: 1 }],
      [{ key: "a", count: 2 }, { key: "b", count: 1 }],
    ],
    sort: true,
  },
  {
    name: "topK keeps the k largest, ties broken by key",
    steps: [{ op: "keyBy", key: "w" }, { op: "aggregate", aggs: { count: { fn: "count" } } }, { op: "topK", k: 2, by: "count" }],
    batches: [[{ w: "c" }, { w: "b" }, { w: "a" }, { w: "c" }, { w: "b" }]],
    expected: [[{ key: "b", count: 2 }, { key: "c", count: 2 }]],
  },
  {
    name: "topK ascending",
    steps: [{ op: "keyBy", key: "w" }, { op: "aggregate", aggs: { count: { fn: "count" } } }, { op: "topK", k: 1, by: "count", order: "asc" }],
    batches: [[{ w: "c" }, { w: "b" }, { w: "c" }]],
    expected: [[{ key: "b", count: 1 }]],
  },
];

describe("operators, batch by batch", () => {
  it.each(cases)("$name", ({ steps, batches, expected, sort }) => {
    const got = rowsOf(run(steps, batches)).map((rows) => (rows && sort ? sortByKey(rows) : rows));
    expect(got).toEqual(expected);
  });

  // The same batches over three partitions: partial aggregates are shuffled by key and merged, and
  // the answer is the same rows (in partition order, so compared as multisets; topK keeps its order).
  it.each(cases)("$name, over 3 partitions", ({ steps, batches, expected }) => {
    const ordered = (steps.at(-1) as { op: string }).op === "topK";
    const got = rowsOf(run(steps, batches, 3)).map((rows) => (rows && !ordered ? asMultiset(rows) : rows));
    expect(got).toEqual(expected.map((rows) => (rows && !ordered ? asMultiset(rows) : rows)));
  });

  it("window frames carry the interval they cover", () => {
    const out = run([{ op: "window", length: "2s", slide: "1s" }, { op: "aggregate", aggs: { c: { fn: "count" } } }], [[{}], [{}]]);
    expect(out.map((o) => o?.window)).toEqual([{ start: -1000, end: 1000 }, { start: 0, end: 2000 }]);
  });

  it("a row whose expression fails is dropped and counted, the batch goes on", () => {
    const plan = compileJob({ name: "t", input: "s", steps: [{ op: "map", set: { l: "size(text)" } }] });
    const errors = { count: 0 } as { count: number; last?: string };
    const out = new JobPipeline(plan).process(1000, [{ text: "ab" }, { other: 1 }, { text: "xyz" }], errors);
    expect(out?.rows).toEqual([{ text: "ab", l: 2 }, { text: "xyz", l: 3 }]);
    expect(errors.count).toBe(1);
    expect(errors.last).toBeTruthy();
  });

  it("state snapshot and restore continue a window exactly", () => {
    const steps = [{ op: "keyBy", key: "w" }, { op: "window", length: "3s" }, { op: "aggregate", aggs: { c: { fn: "count" } } }];
    const plan = compileJob({ name: "t", input: "s", steps });
    const batches = [[{ w: "a" }], [{ w: "b" }], [{ w: "a" }], [{ w: "c" }]];
    const errors = { count: 0 };
    const straight = new JobPipeline(plan);
    const expected = batches.map((b, i) => straight.process((i + 1) * 1000, b, errors));
    const first = new JobPipeline(plan);
    first.process(1000, batches[0]!, errors);
    first.process(2000, batches[1]!, errors);
    const resumed = new JobPipeline(plan);
    resumed.restore(first.snapshot());
    expect(resumed.process(3000, batches[2]!, errors)).toEqual(expected[2]);
    expect(resumed.process(4000, batches[3]!, errors)).toEqual(expected[3]);
  });
});
