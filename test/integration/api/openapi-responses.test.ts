/**
 * What the server answers is what openapi.yaml says it answers: a walk through every route (each
 * success, and the usual refusals) with every answer checked against the spec — its status
 * documented for the route, its content type, and its JSON body against the schema.
 */
import { fileURLToPath } from "node:url";
import type { HTTPMethods } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SpecResponses } from "../../support/spec-responses.js";
import { createTestApp, type TestApp } from "../../support/test-app.js";

const spec = new SpecResponses(fileURLToPath(new URL("../../../openapi.yaml", import.meta.url)));

let t: TestApp;
const seen: { request: string; status: number; problems: string[] }[] = [];

async function call(method: HTTPMethods, url: string, payload?: unknown, headers: Record<string, string> = {}) {
  const res = await t.app.inject({ method, url, payload: payload as string | object | undefined, headers });
  seen.push({ request: `${method} ${url}`, status: res.statusCode, problems: spec.problems(method, url, res.statusCode, res.headers["content-type"] as string | undefined, res.body) });
  return res;
}

const countJob = { name: "counts", input: "clicks", steps: [{ op: "keyBy", key: "user" }, { op: "runningAggregate", aggs: { n: { fn: "count" } } }] };
const modelJob = { name: "model", input: "clicks", steps: [{ op: "trainLogisticRegression", features: ["x"], label: "y" }] };

beforeAll(async () => {
  t = await createTestApp();
  await t.app.ready();
});
afterAll(async () => {
  await t?.close();
});

describe("every answer matches openapi.yaml", () => {
  it("on every route, for successes and refusals", async () => {
    await call("GET", "/healthz");
    await call("GET", "/readyz");
    await call("GET", "/metrics");
    await call("GET", "/openapi.json");
    await call("GET", "/openapi.yaml");
    await call("GET", "/v1/streams?bogus=1");

    await call("POST", "/v1/streams", { name: "clicks", partitions: 2, keyField: "user" });
    await call("POST", "/v1/streams", { name: "clicks" }); // exists
    await call("POST", "/v1/streams", { name: "-x" });
    await call("GET", "/v1/streams");
    await call("GET", "/v1/streams/clicks");
    await call("GET", "/v1/streams/nope");
    await call("POST", "/v1/streams/clicks/events", [{ user: "ann", x: 1, y: 1 }, { user: "bob", x: 0, y: 0 }], { "idempotency-key": "k1" });
    await call("POST", "/v1/streams/clicks/events", [{ user: "ann", x: 1, y: 1 }, { user: "bob", x: 0, y: 0 }], { "idempotency-key": "k1" });
    await call("POST", "/v1/streams/clicks/events", "{\"user\":\"ann\"}\n{\"user\":\"cy\"}\n", { "content-type": "application/x-ndjson" });
    await call("POST", "/v1/streams/clicks/events", []);
    await call("POST", "/v1/streams/clicks/events", "not json", { "content-type": "application/json" });
    await call("POST", "/v1/streams/clicks/events", "<event/>", { "content-type": "application/xml" });

    await call("POST", "/v1/jobs/validate", countJob);
    await call("POST", "/v1/jobs/validate", { name: "bad", input: "clicks", steps: [{ op: "fliter" }] });
    await call("POST", "/v1/jobs", countJob);
    await call("POST", "/v1/jobs", modelJob);
    await call("POST", "/v1/jobs", countJob); // exists
    await call("POST", "/v1/jobs", { name: "bad", input: "clicks", steps: [{ op: "fliter" }] });
    await call("POST", "/v1/streams/clicks/events", [{ user: "ann", x: 1, y: 1 }, { user: "bob", x: 0, y: 0 }]);
    await t.advance(1000);
    await call("GET", "/v1/jobs");
    await call("GET", "/v1/jobs/counts");
    await call("GET", "/v1/jobs/nope");
    await call("GET", "/v1/jobs/counts/results");
    await call("GET", "/v1/jobs/counts/results?from=1&limit=1");
    await call("GET", "/v1/jobs/counts/results?from=0");
    await call("GET", "/v1/jobs/counts/results/live");
    await call("GET", "/v1/jobs/counts/state?key=ann");
    await call("GET", "/v1/jobs/counts/state?key=nobody");
    await call("GET", "/v1/jobs/counts/model");
    await call("GET", "/v1/jobs/model/model");
    await call("GET", "/v1/jobs/counts/batches");
    await call("GET", "/v1/jobs/counts/batches?limit=0");
    await call("GET", "/v1/cluster");
    await call("GET", "/v1/cluster?bogus=1");
    await call("POST", "/v1/live-tokens");
    await call("POST", "/v1/jobs/counts/pause");
    await call("POST", "/v1/jobs/counts/pause"); // not running
    await call("POST", "/v1/jobs/counts/resume");
    await call("POST", "/v1/jobs/counts/restart"); // not failed
    await call("PUT", "/v1/jobs/counts", { ...countJob, steps: [...countJob.steps, { op: "map", set: { twice: "n * 2" } }] }); // state kept
    await call("PUT", "/v1/jobs/counts", { ...countJob, steps: [{ op: "keyBy", key: "x" }, ...countJob.steps.slice(1)] }); // 409: another key
    await call("PUT", "/v1/jobs/counts", { ...countJob, steps: [{ op: "keyBy", key: "x" }, ...countJob.steps.slice(1)], state: "reset" });
    await call("PUT", "/v1/jobs/counts", { ...countJob, name: "other" }); // 400
    await call("PUT", "/v1/jobs/nope", countJob); // 404
    // Retention and replay: a stream with a retention, what it retains, jobs starting in the past.
    await call("POST", "/v1/streams", { name: "kept", partitions: 1, retention: { time: "7d", bytes: "1GiB" } });
    await call("POST", "/v1/streams", { name: "forever", retention: "forever" });
    await call("POST", "/v1/streams", { name: "bad-retention", retention: { time: "7 days" } });
    await call("POST", "/v1/streams/kept/events", [{ user: "ann" }]);
    await call("GET", "/v1/streams/kept");
    await call("GET", "/v1/streams/forever");
    await call("POST", "/v1/jobs", { ...countJob, name: "replay-time", input: "kept", startFrom: { time: "2020-01-01T00:00:00Z" } });
    await call("POST", "/v1/jobs", { ...countJob, name: "replay-earliest", input: "kept", startFrom: "earliest" });
    await call("POST", "/v1/jobs", { ...countJob, name: "replay-bad", input: "kept", startFrom: { time: "yesterday" } });
    await t.advance(1000);
    await call("GET", "/v1/jobs/replay-earliest");
    await call("DELETE", "/v1/jobs/replay-time");
    await call("DELETE", "/v1/jobs/replay-earliest");
    await call("DELETE", "/v1/streams/clicks"); // read by jobs
    await call("DELETE", "/v1/jobs/counts");
    await call("DELETE", "/v1/jobs/model");
    await call("DELETE", "/v1/jobs/counts");
    await call("DELETE", "/v1/streams/clicks");

    const called = new Set(seen.map((s) => spec.operationOf(...(s.request.split(" ") as [string, string]))));
    expect(spec.operations().filter((op) => !called.has(op)), "operations the walk never called").toEqual([]);
    const statuses = new Set(seen.map((s) => s.status));
    for (const status of [200, 201, 202, 204, 400, 404, 409, 415, 426]) expect(statuses, `no answer with ${status} was checked`).toContain(status);
    expect(seen.flatMap((s) => s.problems)).toEqual([]);
  });
});
