/**
 * The shrunk counterexamples the fuzz suite found, kept as plain cases: each once answered a 5xx,
 * hung, or refused without the error shape. Each must now pass the same checks as a fuzzed request.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restoreFixture, runBatches } from "../../support/fuzz/fixture.js";
import { expectHealthy, sendChecked, type FuzzRequest } from "../../support/fuzz/harness.js";
import { createTestApp, type TestApp } from "../../support/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ bodyLimit: 1024 * 1024 });
  await t.app.ready();
  await restoreFixture(t);
});
afterAll(() => t.close());

const cases: [label: string, request: FuzzRequest, status: number][] = [
  ["a path that is not valid percent-encoding (answered Fastify's own error shape)", { method: "GET", url: "/%", headers: {} }, 400],
  ["a stream name that is a broken percent-escape", { method: "POST", url: "/v1/streams/%E0%A4%A/events", headers: { "content-type": "application/json" }, body: "{}" }, 400],
  ["an event nested 5,000 deep (answered 500 and created the stream)", { method: "POST", url: "/v1/streams/deep/events", headers: { "content-type": "application/json" }, body: `${'{"a":'.repeat(5000)}1${"}".repeat(5000)}` }, 400],
  ["an event time past what a Date holds on a stream with an eventTimeField", { method: "POST", url: "/v1/streams/k/events", headers: { "content-type": "application/json" }, body: '{"user":"a","id":"x","ts":1e308}' }, 400],
];

describe("fuzz counterexamples", () => {
  it.each(cases)("answers %s", async (_label, request, status) => {
    await restoreFixture(t);
    const res = await sendChecked(t, request);
    expect(res.statusCode).toBe(status);
    await expectHealthy(t);
  });

  it("runs an eventWindow job whose event time is 1e308 (its batch never ended, blocking the server)", async () => {
    await restoreFixture(t);
    const job = { name: "cel", input: "s", steps: [{ op: "eventWindow", time: "(amount)", length: "1s", lateness: "1s", emit: "final", aggs: { s: { fn: "sum", of: "(ts)" } } }] };
    expect((await sendChecked(t, { method: "POST", url: "/v1/jobs", headers: { "content-type": "application/json" }, body: JSON.stringify(job) })).statusCode).toBe(201);
    await t.engine.ingest("s", [{ amount: 1e308, ts: 1 }, { amount: 1500, ts: 2 }]);
    await runBatches(t);
    const progress = JSON.parse((await sendChecked(t, { method: "GET", url: "/v1/jobs/cel", headers: {} })).body) as { progress: { rowErrors: { count: number } } };
    expect(progress.progress.rowErrors.count).toBe(1);
    await expectHealthy(t);
  });
});
