/** Which changes of a job keep its state (upgrade-differences.ts): a table of old and new steps. */
import { describe, expect, it } from "vitest";
import { compileJob } from "../../../../src/engine/query/compile-job.js";
import { upgradeDifferences, type StateShape } from "../../../../src/engine/query/upgrade-differences.js";

const window = [
  { op: "keyBy", key: "user" },
  { op: "window", length: "30s", slide: "1s" },
  { op: "aggregate", aggs: { n: { fn: "count" } } },
  { op: "topK", k: 10, by: "n" },
];
const running = [{ op: "keyBy", key: "user" }, { op: "runningAggregate", aggs: { n: { fn: "count" } }, ttl: "1h" }];

function shape(steps: object[], extra: { batchInterval?: string; partitions?: number; slots?: string[] } = {}): StateShape {
  const plan = compileJob({ name: "j", input: "clicks", batchInterval: extra.batchInterval ?? "1s", steps });
  return { plan, partitions: plan.keyed() ? (extra.partitions ?? 2) : 0, slots: extra.slots ?? ["clicks/0", "clicks/1"] };
}

const paths = (was: StateShape, now: StateShape) => upgradeDifferences(was, now).map((d) => d.path);

describe("upgradeDifferences", () => {
  it.each([
    ["a filter before the keyed step", window, [{ op: "filter", where: "user != 'bot'" }, ...window]],
    ["a map before keyBy", window, [{ op: "map", set: { u: "user + '!'" } }, ...window]],
    ["a new output field after it", window, [...window, { op: "map", set: { twice: "n * 2" } }]],
    ["another k for topK", window, [...window.slice(0, 3), { op: "topK", k: 3, by: "n" }]],
    ["no topK at all", window, window.slice(0, 3)],
    ["a longer ttl", running, [running[0]!, { ...running[1]!, ttl: "2h" }]],
    ["no ttl", running, [running[0]!, { op: "runningAggregate", aggs: { n: { fn: "count" } } }]],
  ])("keeps the state through %s", (_, before, after) => {
    expect(upgradeDifferences(shape(before), shape(after))).toEqual([]);
  });

  it.each([
    ["another key", window, [{ op: "keyBy", key: "page" }, ...window.slice(1)], ["steps[0].key"]],
    ["another window length", window, [window[0]!, { op: "window", length: "60s", slide: "1s" }, ...window.slice(2)], ["steps[1].length"]],
    ["another slide", window, [window[0]!, { op: "window", length: "30s", slide: "2s" }, ...window.slice(2)], ["steps[1].slide"]],
    ["another aggregate set", window, [...window.slice(0, 2), { op: "aggregate", aggs: { n: { fn: "count" }, m: { fn: "max", of: "x" } } }, window[3]!], ["steps[2].aggs"]],
    ["another keyed step", window, running, ["steps[1].op"]],
    ["a shorter ttl", running, [running[0]!, { ...running[1]!, ttl: "10m" }], ["steps[1].ttl"]],
    ["a ttl where there was none", [running[0]!, { op: "runningAggregate", aggs: { n: { fn: "count" } } }], running, ["steps[1].ttl"]],
    ["no keyed step any more", window, [{ op: "filter", where: "true" }], ["steps"]],
  ])("refuses %s", (_, before, after, expected) => {
    expect(paths(shape(before), shape(after))).toEqual(expected);
  });

  it("refuses other inputs, another batch interval and other key partitions", () => {
    expect(paths(shape(window), shape(window, { slots: ["clicks/0", "clicks/1", "clicks/2"] }))).toEqual(["input"]);
    expect(paths(shape(window), shape(window, { batchInterval: "500ms" }))).toEqual(["batchInterval"]);
    expect(paths(shape(window), shape(window, { partitions: 4 }))).toEqual(["steps"]);
  });

  it("lets a job without state change freely, but not its inputs", () => {
    const grep = [{ op: "filter", where: "size(text) > 0" }];
    expect(upgradeDifferences(shape(grep), shape([{ op: "filter", where: "text.contains('x')" }], { batchInterval: "2s" }))).toEqual([]);
    expect(paths(shape(grep), shape(grep, { slots: ["tweets/0"] }))).toEqual(["input"]);
  });

  it("names both values and why", () => {
    const [d] = upgradeDifferences(shape(window), shape([window[0]!, { op: "window", length: "60s", slide: "1s" }, ...window.slice(2)]));
    expect(d).toEqual({ path: "steps[1].length", was: "30s", now: "60s", message: "the window step's length sets which batches its state holds" });
  });
});
