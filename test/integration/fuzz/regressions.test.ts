/**
 * The shrunk counterexamples the fuzz suite found, kept as plain cases: each once answered a 5xx,
 * hung, or refused without the error shape. Each must now pass the same checks as a fuzzed request.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restoreFixture } from "../../support/fuzz/fixture.js";
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
];

describe("fuzz counterexamples", () => {
  it.each(cases)("answers %s", async (_label, request, status) => {
    await restoreFixture(t);
    const res = await sendChecked(t, request);
    expect(res.statusCode).toBe(status);
    await expectHealthy(t);
  });
});
