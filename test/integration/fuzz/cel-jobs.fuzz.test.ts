/**
 * Fuzzes job registration with random CEL expressions (from a small grammar of the language, with
 * random text spliced in) in every place a step takes one. A definition is registered or refused with
 * a 400, never a 5xx or a hang; a registered job runs a batch over odd events without failing, and
 * answers its results, state and batches.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import { celExpression } from "../../support/fuzz/cel-grammar.js";
import { restoreFixture, runBatches } from "../../support/fuzz/fixture.js";
import { expectHealthy, fuzz, FUZZ_TEST_TIMEOUT_MS, fuzzRuns, sendChecked } from "../../support/fuzz/harness.js";
import { createTestApp, type TestApp } from "../../support/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  await t.app.ready();
  await restoreFixture(t);
});
afterAll(() => t.close());

/** Events with every type in the fields expressions name, and some without them. */
const ODD_EVENTS = [
  { user: "ann", text: "hello big world", amount: 12.5, n: 3, word: "w", ts: 1_000_000, key: "k", count: 1 },
  { user: 7, text: 42, amount: "12", n: -1, ts: "not a time" },
  { text: "", n: 9007199254740993, amount: 1e308, tags: [1, "a", null], row: { text: "inner" } },
  { user: null, text: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", n: 0, amount: -0, nested: { deep: { x: [] } } },
  {},
];

/** Steps that take expressions, each filled in with two random ones. */
const STEPS: ((a: string, b: string) => object[])[] = [
  (a) => [{ op: "filter", where: a }],
  (a, b) => [{ op: "map", set: { f: a, g: b } }],
  (a, b) => [{ op: "flatMap", expr: a, as: "item" }, { op: "filter", where: b }],
  (a, b) => [{ op: "keyBy", key: a }, { op: "aggregate", aggs: { total: { fn: "sum", of: b }, top: { fn: "max", of: b }, all: { fn: "collect", of: b } } }],
  (a, b) => [{ op: "keyBy", key: a }, { op: "window", length: "2s", slide: "1s" }, { op: "aggregate", aggs: { avg: { fn: "avg", of: b }, n: { fn: "count" } } }],
  (a, b) => [{ op: "keyBy", key: "user" }, { op: "mapWithState", init: a, update: b, timeout: "5s" }],
  (a, b) => [{ op: "keyBy", key: a }, { op: "runningAggregate", aggs: { first: { fn: "first", of: b }, distinct: { fn: "approxDistinct", of: b } } }],
  (a, b) => [{ op: "map", project: { p: a } }, { op: "keyBy", key: b }, { op: "countByValue" }],
  (a, b) => [{ op: "eventWindow", time: a, length: "1s", lateness: "1s", emit: "final", aggs: { s: { fn: "sum", of: b } } }],
];

describe("fuzz: CEL expressions in job definitions", () => {
  it("registers or refuses any expression, and a registered job runs over odd events", async () => {
    let registered = 0;
    await fuzz(
      "cel jobs",
      fc.record({ step: fc.nat({ max: STEPS.length - 1 }), a: celExpression, b: celExpression }),
      async ({ step, a, b }) => {
        await restoreFixture(t);
        const definition = { name: "cel", input: "s", batchInterval: "1s", steps: STEPS[step]!(a, b) };
        const res = await sendChecked(t, { method: "POST", url: "/v1/jobs", headers: { "content-type": "application/json" }, body: JSON.stringify(definition) });
        if (res.statusCode !== 201) {
          if (res.statusCode !== 400) throw new Error(`registration answered ${res.statusCode}: ${res.body}`);
          return;
        }
        registered++;
        await t.engine.ingest("s", ODD_EVENTS);
        await runBatches(t);
        for (const path of ["", "/results?from=1", "/state?key=ann", "/batches"]) await sendChecked(t, { method: "GET", url: `/v1/jobs/cel${path}`, headers: {} });
        await sendChecked(t, { method: "DELETE", url: "/v1/jobs/cel", headers: {} });
      },
      fuzzRuns(600),
    );
    console.log(`fuzz: cel jobs: ${registered} definitions registered and run`);
    await expectHealthy(t);
  }, FUZZ_TEST_TIMEOUT_MS);
});
