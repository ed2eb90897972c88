/** Registration-time checks: each bad definition is refused with the JSON path of the problem and a fix. */
import { describe, expect, it } from "vitest";
import { EngineError } from "../../../../src/engine/errors.js";
import { compileJob } from "../../../../src/engine/query/compile-job.js";

const base = { name: "j", input: "s", batchInterval: "1s" };
const agg = { op: "aggregate", aggs: { count: { fn: "count" } } };
const keyBy = { op: "keyBy", key: "k" };

function problemsOf(definition: unknown): { path: string; message: string }[] {
  try {
    compileJob(definition);
  } catch (error) {
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).code).toBe("INVALID_JOB");
    return ((error as EngineError).details as { problems: { path: string; message: string }[] }).problems;
  }
  throw new Error("definition was accepted");
}

describe("compileJob refuses", () => {
  it.each([
    ["an unknown operator", { ...base, steps: [{ op: "explode" }] }, "steps[0].op", /unknown operator "explode"; use one of map, filter/],
    ["an unknown field on a step", { ...base, steps: [{ op: "filter", where: "true", colour: 1 }] }, "steps[0]", /colour/],
    ["an unknown top-level field", { ...base, steps: [agg], extra: true }, "", /extra/],
    ["a CEL syntax error", { ...base, steps: [{ op: "filter", where: "n >" }] }, "steps[0].where", /.+/],
    ["a CEL type error", { ...base, steps: [{ op: "filter", where: "1 + 'a' > 0" }] }, "steps[0].where", /.+/],
    ["a window not a multiple of the batch interval", { ...base, steps: [{ op: "window", length: "2500ms" }, agg] }, "steps[0].length", /multiple of the batch interval 1s/],
    ["a slide not a multiple of the batch interval", { ...base, steps: [{ op: "window", length: "4s", slide: "1500ms" }, agg] }, "steps[0].slide", /multiple of the batch interval/],
    ["a slide longer than the window", { ...base, steps: [{ op: "window", length: "2s", slide: "4s" }, agg] }, "steps[0].slide", /must not be longer/],
    ["a zero-length window", { ...base, steps: [{ op: "window", length: "0s" }, agg] }, "steps[0].length", /positive multiple/],
    ["a zero slide", { ...base, steps: [{ op: "window", length: "2s", slide: "0ms" }, agg] }, "steps[0].slide", /positive multiple/],
    ["a window not followed by an aggregate", { ...base, steps: [{ op: "window", length: "2s" }] }, "steps[0].op", /followed directly by an aggregate/],
    ["a text that is not a duration", { ...base, batchInterval: "soon", steps: [agg] }, "batchInterval", /not a duration/],
    ["a batch interval under 50ms", { ...base, batchInterval: "10ms", steps: [agg] }, "batchInterval", /at least 50ms/],
    ["no steps", { ...base, steps: [] }, "steps", /at least one step/],
    ["sum without of", { ...base, steps: [{ op: "aggregate", aggs: { s: { fn: "sum" } } }] }, "steps[0].aggs.s.of", /sum needs "of"/],
    ["an unknown aggregate function", { ...base, steps: [{ op: "aggregate", aggs: { s: { fn: "median" } } }] }, "steps[0].aggs.s.fn", /count, sum, min, max, avg/],
    ["a map with neither set nor project", { ...base, steps: [{ op: "map" }] }, "steps[0].op", /exactly one of "set"/],
    ["state after an aggregation", { ...base, steps: [agg, { op: "runningAggregate", aggs: { c: { fn: "count" } } }] }, "steps[1].op", /must be the first aggregation/],
    ["a join without a key on the job's side", { ...base, steps: [{ op: "join", with: { input: "t", steps: [keyBy] } }] }, "steps[0].op", /join matches rows by key: add a keyBy step before it/],
    ["a join without a key on the other side", { ...base, steps: [keyBy, { op: "join", with: { input: "t" } }] }, "steps[1].with.steps", /end this input's steps with a keyBy/],
    ["a cogroup whose other input drops its key", { ...base, steps: [keyBy, { op: "cogroup", with: { input: "t", steps: [keyBy, { op: "flatMap", expr: "[1]" }] } }] }, "steps[1].with.steps", /cogroup matches rows by key/],
    ["a join with an unknown type", { ...base, steps: [keyBy, { op: "join", type: "outer", with: { input: "t", steps: [keyBy] } }] }, "steps[1].type", /inner, left, right, full/],
    ["a join window shorter than its slide", { ...base, steps: [keyBy, { op: "join", with: { input: "t", steps: [keyBy] }, window: { length: "2s", slide: "4s" } }] }, "steps[1].window.slide", /must not be longer/],
    ["a join after an aggregation", { ...base, steps: [keyBy, agg, { op: "join", with: { input: "t", steps: [keyBy] } }] }, "steps[2].op", /must come before any aggregation/],
    ["a union whose inputs are keyed differently", { ...base, steps: [keyBy, { op: "union", with: [{ input: "t" }] }, agg] }, "steps[1].with[0].steps", /keyed alike/],
    ["a union with no other input", { ...base, steps: [{ op: "union", with: [] }] }, "steps[0].with", /at least one other input/],
    ["an aggregate among an input's steps", { ...base, steps: [{ op: "union", with: [{ input: "t", steps: [agg] }] }] }, "steps[0].with[0].steps[0].op", /may only be map, filter, flatMap, keyBy, sample/],
    ["a CEL error among an input's steps", { ...base, steps: [{ op: "union", with: [{ input: "t", steps: [{ op: "filter", where: "1 + 'a'" }] }] }] }, "steps[0].with[0].steps[0].where", /cannot be applied/],
    ["two steps that combine inputs", { ...base, steps: [{ op: "union", with: [{ input: "t" }] }, { op: "union", with: [{ input: "u" }] }] }, "steps[1].op", /combines its inputs once/],
    ["a repartition with no keyed step after it", { ...base, steps: [{ op: "repartition", partitions: 4 }] }, "steps[0]", /add one after it, or remove repartition/],
    ["a repartition after the keyed step", { ...base, steps: [keyBy, agg, { op: "repartition", partitions: 4 }] }, "steps[2].op", /must come before the job's keyed step/],
    ["a repartition into 0 partitions", { ...base, steps: [{ op: "repartition", partitions: 0 }, agg] }, "steps[0].partitions", /1/],
    ["an output that the job also reads through a join", { ...base, output: "t", steps: [keyBy, { op: "join", with: { input: "t", steps: [keyBy] } }] }, "output", /cannot write to a stream it reads \("t"\)/],
    ["an eventWindow with no time (and no stream to take it from)", { ...base, steps: [{ op: "eventWindow", length: "1m", aggs: { n: { fn: "count" } } }] }, "steps[0].time", /give "time".*eventTimeField/],
    ["a bad job name", { ...base, name: "../etc", steps: [agg] }, "name", /letters, digits/],
    ["an error in a window's aggregate, at the aggregate", { ...base, steps: [{ op: "window", length: "2s" }, { op: "aggregate", aggs: { s: { fn: "sum", of: "1 + 'a'" } } }] }, "steps[1].aggs.s.of", /cannot be applied/],
    ["limit on an aggregation other than collect", { ...base, steps: [{ op: "aggregate", aggs: { s: { fn: "sum", of: "v", limit: 3 } } }] }, "steps[0].aggs.s.limit", /only to collect/],
    ["precision on an aggregation other than approxDistinct", { ...base, steps: [{ op: "aggregate", aggs: { s: { fn: "count", precision: 8 } } }] }, "steps[0].aggs.s.precision", /only to approxDistinct/],
    ["first without of", { ...base, steps: [{ op: "aggregate", aggs: { f: { fn: "first" } } }] }, "steps[0].aggs.f.of", /first needs "of"/],
    ["a collect limit too large", { ...base, steps: [{ op: "aggregate", aggs: { c: { fn: "collect", of: "v", limit: 1e6 } } }] }, "steps[0].aggs.c.limit", /10000/],
    ["a precision out of range", { ...base, steps: [{ op: "aggregate", aggs: { d: { fn: "approxDistinct", of: "v", precision: 30 } } }] }, "steps[0].aggs.d.precision", /16/],
    ["a sample fraction above 1", { ...base, steps: [{ op: "sample", fraction: 1.5 }] }, "steps[0].fraction", /at most 1/],
    ["a sample fraction of 0", { ...base, steps: [{ op: "sample", fraction: 0 }] }, "steps[0].fraction", /more than 0/],
    ["a sort with an unknown order", { ...base, steps: [{ op: "sort", by: "n", order: "up" }] }, "steps[0].order", /asc|desc/],
    ["a sort by an expression rather than a field", { ...base, steps: [{ op: "sort", by: "a + b" }] }, "steps[0].by", /field name/],
    ["countByValue without of", { ...base, steps: [{ op: "countByValue" }] }, "steps[0].of", /required/],
    ["countByValue with a CEL type error", { ...base, steps: [{ op: "countByValue", of: "size(1)" }] }, "steps[0].of", /cannot be applied/],
    ["distinct without of or keyBy", { ...base, steps: [{ op: "distinct" }] }, "steps[0].of", /"of".*or a keyBy/],
    ["countByWindow shorter than its slide", { ...base, steps: [{ op: "countByWindow", length: "2s", slide: "4s" }] }, "steps[0].slide", /must not be longer than its length 2s/],
    ["countByWindow not a multiple of the batch interval", { ...base, steps: [{ op: "countByWindow", length: "1500ms" }] }, "steps[0].length", /multiple of the batch interval/],
    ["reduceByWindow without aggs", { ...base, steps: [{ op: "reduceByWindow", length: "2s" }] }, "steps[0].aggs", /required/],
    ["reduceByWindow with a bad aggregation", { ...base, steps: [{ op: "reduceByWindow", length: "2s", aggs: { m: { fn: "max", of: "nope(" } } }] }, "steps[0].aggs.m.of", /syntax error/],
    ["countByValueAndWindow with a bad duration", { ...base, steps: [{ op: "countByValueAndWindow", of: "w", length: "soon" }] }, "steps[0].length", /not a duration/],
    ["an unknown emit on a window", { ...base, steps: [keyBy, { op: "window", length: "2s", emit: "deltas" }, agg] }, "steps[1].emit", /must be one of all, changes/],
    ["an unknown emit on countByWindow", { ...base, steps: [{ op: "countByWindow", length: "2s", emit: "update" }] }, "steps[0].emit", /must be one of all, changes/],
    ["an unknown emit on reduceByWindow", { ...base, steps: [{ op: "reduceByWindow", length: "2s", emit: 1, aggs: { n: { fn: "count" } } }] }, "steps[0].emit", /must be one of all, changes/],
    ["an unknown emit on countByValueAndWindow", { ...base, steps: [{ op: "countByValueAndWindow", of: "w", length: "2s", emit: "final" }] }, "steps[0].emit", /must be one of all, changes/],
    ["emit on a join's window (a join re-emits its pairs)", { ...base, steps: [keyBy, { op: "join", with: { input: "t", steps: [keyBy] }, window: { length: "2s", emit: "changes" } }] }, "steps[1].window", /unknown field "emit"/],
    ["topK after a window with emit changes", { ...base, steps: [keyBy, { op: "window", length: "2s", emit: "changes" }, agg, { op: "topK", k: 3, by: "count" }] }, "steps[3].op", /topK ranks the whole window each slide, but the window step before it has emit "changes".*emit "all"/],
    ["a step after countByValueAndWindow with emit changes", { ...base, steps: [{ op: "countByValueAndWindow", of: "w", length: "2s", emit: "changes" }, { op: "filter", where: "count > 1" }] }, "steps[1].op", /has emit "changes", so it must be the job's last step/],
    ["an aggregation named removed under emit changes", { ...base, steps: [keyBy, { op: "window", length: "2s", emit: "changes" }, { op: "aggregate", aggs: { removed: { fn: "count" } } }] }, "steps[2].aggs.removed", /"removed" marks the rows of keys that left the window/],
    ["countByValueAndWindow after an aggregate", { ...base, steps: [agg, { op: "countByValueAndWindow", of: "w", length: "2s" }] }, "steps[1].op", /must be the first aggregation/],
    ["mapWithState without update", { ...base, steps: [{ op: "mapWithState", init: "0" }] }, "steps[0].update", /required/],
    ["mapWithState reading an unknown variable", { ...base, steps: [{ op: "mapWithState", update: "stat + 1" }] }, "steps[0].update", /unknown variable 'stat' \(known variables: .*state/],
    ["mapWithState init reading state", { ...base, steps: [{ op: "mapWithState", init: "state", update: "1" }] }, "steps[0].init", /unknown variable 'state'/],
    ["mapWithState emit with a type error", { ...base, steps: [{ op: "mapWithState", update: "1", emit: "{'a': 1} + 1" }] }, "steps[0].emit", /cannot be applied/],
    ["mapWithState onTimeout without timeout", { ...base, steps: [{ op: "mapWithState", update: "1", onTimeout: "{'k': key}" }] }, "steps[0].onTimeout", /needs "timeout"/],
    ["mapWithState onTimeout reading value", { ...base, steps: [{ op: "mapWithState", update: "1", timeout: "5s", onTimeout: "value" }] }, "steps[0].onTimeout", /unknown variable 'value'/],
    ["a timeout shorter than the batch interval", { ...base, steps: [{ op: "mapWithState", update: "1", timeout: "500ms" }] }, "steps[0].timeout", /at least the batch interval 1s/],
    ["a ttl that is not a duration", { ...base, steps: [{ op: "runningAggregate", aggs: { c: { fn: "count" } }, ttl: "forever" }] }, "steps[0].ttl", /not a duration/],
    ["mapWithState after an aggregate", { ...base, steps: [agg, { op: "mapWithState", update: "1" }] }, "steps[1].op", /must be the first aggregation/],
    ["trainLogisticRegression without features", { ...base, steps: [{ op: "trainLogisticRegression", features: [], label: "y" }] }, "steps[0].features", /at least one feature/],
    ["trainLogisticRegression with a bad feature", { ...base, steps: [{ op: "trainLogisticRegression", features: ["x", "x +"], label: "y" }] }, "steps[0].features[1]", /syntax error/],
    ["trainLogisticRegression with a bad label", { ...base, steps: [{ op: "trainLogisticRegression", features: ["x"], label: "'a' - 1" }] }, "steps[0].label", /cannot be applied/],
    ["trainLogisticRegression with a negative step size", { ...base, steps: [{ op: "trainLogisticRegression", features: ["x"], label: "y", stepSize: -1 }] }, "steps[0].stepSize", /more than 0/],
    ["trainLogisticRegression with a mini-batch fraction above 1", { ...base, steps: [{ op: "trainLogisticRegression", features: ["x"], label: "y", miniBatchFraction: 2 }] }, "steps[0].miniBatchFraction", /at most 1/],
    ["trainLogisticRegression with a misspelt field", { ...base, steps: [{ op: "trainLogisticRegression", features: ["x"], label: "y", iteration: 3 }] }, "steps[0]", /unknown field "iteration"/],
    ["trainLogisticRegression after an aggregate", { ...base, steps: [agg, { op: "trainLogisticRegression", features: ["x"], label: "y" }] }, "steps[1].op", /must be the first aggregation/],
  ])("%s", (_label, definition, path, message) => {
    const problems = problemsOf(definition);
    const problem = problems.find((p) => p.path === path);
    expect(problem, JSON.stringify(problems)).toBeDefined();
    expect(problem!.message).toMatch(message);
  });
});

describe("compileJob refuses deep nesting", () => {
  it("as an unknown field, without running out of stack", () => {
    const deep = JSON.parse(`${"[".repeat(20_000)}${"]".repeat(20_000)}`) as unknown;
    const problems = problemsOf({ ...base, steps: [agg], extra: deep });
    expect(problems.find((p) => p.path === "")?.message).toMatch(/extra/);
  });
});

describe("compileJob accepts", () => {
  it("puts each new step where it runs", () => {
    const plan = (steps: unknown[]) => compileJob({ ...base, steps });
    const shape = (steps: unknown[]) => {
      const p = plan(steps);
      return [p.mapOperators().length, p.keyed() !== undefined, p.finalOperators().length, p.slide.ms];
    };
    expect(shape([{ op: "sample", fraction: 0.5 }])).toEqual([1, false, 0, 1000]);
    expect(shape([{ op: "sort", by: "n" }, { op: "sample", fraction: 0.5 }])).toEqual([0, false, 2, 1000]);
    expect(shape([{ op: "countByValue", of: "w" }, { op: "sort", by: "count", order: "desc", limit: 3 }])).toEqual([0, true, 1, 1000]);
    expect(shape([{ op: "keyBy", key: "w" }, { op: "distinct" }])).toEqual([1, true, 0, 1000]);
    expect(shape([agg, { op: "distinct", of: "count" }])).toEqual([0, true, 1, 1000]);
    expect(shape([{ op: "countByWindow", length: "4s", slide: "2s" }])).toEqual([0, true, 0, 2000]);
    expect(shape([{ op: "reduceByWindow", length: "4s", aggs: { n: { fn: "count" } } }])).toEqual([0, true, 0, 1000]);
    expect(shape([{ op: "countByValueAndWindow", of: "w", length: "6s", slide: "3s" }])).toEqual([0, true, 0, 3000]);
    expect(shape([{ op: "keyBy", key: "u" }, { op: "mapWithState", update: "1", timeout: "1s" }])).toEqual([1, true, 0, 1000]);
    expect(shape([{ op: "trainLogisticRegression", features: ["x"], label: "y" }, { op: "filter", where: "has(row.prediction)" }])).toEqual([0, true, 1, 1000]);
  });

  it("the README's trending-words job, with defaults filled in", () => {
    const plan = compileJob({
      name: "trending-words",
      input: "tweets",
      steps: [
        { op: "flatMap", expr: "text.split(' ')", as: "word" },
        { op: "filter", where: "size(word) > 0" },
        { op: "keyBy", key: "word" },
        { op: "window", length: "30s", slide: "1s" },
        agg,
        { op: "topK", k: 10, by: "count" },
      ],
    });
    expect(plan.batchInterval.ms).toBe(1000);
    expect(plan.definition.startFrom).toBe("latest");
    // flatMap, filter, keyBy per input partition; the window keyed; topK on the whole batch
    expect(plan.mapOperators()).toHaveLength(3);
    expect(plan.keyed()).toBeDefined();
    expect(plan.finalOperators()).toHaveLength(1);
  });
});
