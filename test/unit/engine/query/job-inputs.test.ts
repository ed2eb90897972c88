/**
 * jobInputs reads a stored definition's streams without compiling it (to find a stream's readers and a
 * job's layout); it must name them in the order the compiled plan reads them, or input slots and
 * trimming would pair offsets with the wrong stream.
 */
import { describe, expect, it } from "vitest";
import { compileJob } from "../../../../src/engine/query/compile-job.js";
import { jobInputs } from "../../../../src/engine/query/job-inputs.js";

const keyBy = { op: "keyBy", key: "k" };
const definitions: [string, Record<string, unknown>][] = [
  ["one stream", { name: "j", input: "a", steps: [keyBy, { op: "aggregate", aggs: { n: { fn: "count" } } }] }],
  ["a union of three", { name: "j", input: "a", steps: [{ op: "map", set: { x: "1" } }, { op: "union", with: [{ input: "c" }, { input: "b", steps: [{ op: "filter", where: "true" }] }] }] }],
  ["a join", { name: "j", input: "a", steps: [keyBy, { op: "join", with: { input: "z", steps: [keyBy] } }] }],
  ["a windowed cogroup after narrow steps", { name: "j", input: "a", batchInterval: "1s", steps: [{ op: "filter", where: "true" }, keyBy, { op: "cogroup", with: { input: "m", steps: [keyBy] }, window: { length: "2s" } }] }],
  ["a self-join", { name: "j", input: "a", steps: [keyBy, { op: "join", type: "full", with: { input: "a", steps: [keyBy] } }] }],
];

describe("jobInputs", () => {
  it.each(definitions)("names the streams of %s as the compiled plan does", (_label, definition) => {
    const stored = compileJob(definition).definition as unknown as Record<string, unknown>;
    expect(jobInputs(stored).names).toEqual(compileJob(definition).inputs);
  });

  it("says where each stream is named, for error messages", () => {
    expect(jobInputs(definitions[1]![1]).paths).toEqual(["input", "steps[1].with[0].input", "steps[1].with[1].input"]);
    expect(jobInputs(definitions[2]![1]).paths).toEqual(["input", "steps[1].with.input"]);
  });
});
