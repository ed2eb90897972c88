/**
 * Fuzzes every route of the app (read from its route tree, so a new route is fuzzed too) with random
 * and mutated bodies, headers, query strings and path parameters, and paths no route has. Whatever
 * arrives: never a 5xx, never a hang, a 4xx in the error shape that changed nothing, and a healthy
 * server after the run.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routesFromTree, type Route } from "../../support/app-routes.js";
import { restoreFixture, runBatches } from "../../support/fuzz/fixture.js";
import { expectHealthy, fuzz, FUZZ_TEST_TIMEOUT_MS, fuzzRuns, sendChecked } from "../../support/fuzz/harness.js";
import { EVENTS, routeRequest, strayRequest } from "../../support/fuzz/requests.js";
import { mutated, ndjson, rawText } from "../../support/fuzz/json-mutations.js";
import { createTestApp, type TestApp } from "../../support/test-app.js";

let t: TestApp;
let routes: Route[];
beforeAll(async () => {
  t = await createTestApp({ bodyLimit: 1024 * 1024 });
  await t.app.ready();
  routes = routesFromTree(t.app.printRoutes({ commonPrefix: false }));
  await restoreFixture(t);
});
afterAll(() => t.close());

/** Every so many cases the fixture is put back and the jobs run a batch over what was ingested. */
const BATCH_EVERY = 50;

describe("fuzz: every route", () => {
  it("answers any request to any route without a 5xx or a hang, a refusal changing nothing", async () => {
    const hits = new Map<string, number>();
    let cases = 0;
    await fuzz(
      "routes",
      routeRequest(routes),
      async (request) => {
        if (++cases % BATCH_EVERY === 0) await runBatches(t);
        await restoreFixture(t);
        const key = `${request.route.method} ${request.route.url}`;
        hits.set(key, (hits.get(key) ?? 0) + 1);
        await sendChecked(t, request);
      },
      fuzzRuns(1200),
    );
    await expectHealthy(t);
    for (const route of routes) expect(hits.get(`${route.method} ${route.url}`), `${route.method} ${route.url} was never fuzzed`).toBeGreaterThan(0);
  }, FUZZ_TEST_TIMEOUT_MS);

  it("answers requests to paths no route has, or routes bent out of shape", async () => {
    await fuzz(
      "stray paths",
      strayRequest,
      async (request) => {
        await restoreFixture(t);
        await sendChecked(t, request);
      },
      fuzzRuns(500),
    );
    await expectHealthy(t);
  }, FUZZ_TEST_TIMEOUT_MS);

  it("ingests or refuses whole any JSON or NDJSON body, on plain and keyed streams", async () => {
    const body = fc.oneof(
      fc.record({ type: fc.constant("application/json"), text: fc.oneof({ weight: 3, arbitrary: mutated([...EVENTS, EVENTS] as never[]) }, { weight: 1, arbitrary: rawText }) }),
      fc.record({ type: fc.constantFrom("application/x-ndjson", "application/x-ndjson; charset=utf-8"), text: ndjson(EVENTS as never[]) }),
    );
    let cases = 0;
    await fuzz(
      "ingest",
      fc.record({ stream: fc.constantFrom("s", "k", "new-stream"), body, key: fc.option(fc.constantFrom("k-1", "k-2"), { nil: undefined }) }),
      async ({ stream, body: { type, text }, key }) => {
        if (++cases % BATCH_EVERY === 0) await runBatches(t);
        await restoreFixture(t);
        const headers: Record<string, string> = { "content-type": type, ...(key === undefined ? {} : { "idempotency-key": key }) };
        const res = await sendChecked(t, { method: "POST", url: `/v1/streams/${stream}/events`, headers, body: text });
        if (res.statusCode !== 202 && res.statusCode !== 400 && res.statusCode !== 415) throw new Error(`ingest answered ${res.statusCode}: ${res.body}`);
      },
      fuzzRuns(1200),
    );
    await runBatches(t);
    await expectHealthy(t);
  }, FUZZ_TEST_TIMEOUT_MS);
});
