/**
 * Random requests over the app's routes: a route (or no route), its path parameters, a query string,
 * headers and a body, each drawn from what a client might send by mistake or on purpose.
 */
import fc from "fast-check";
import type { Route } from "../app-routes.js";
import type { FuzzRequest } from "./harness.js";
import { mutated, ndjson, oddText, rawText } from "./json-mutations.js";

/** Valid documents the mutations start from. */
export const STREAM_DECLARATIONS = [
  { name: "fresh" },
  { name: "declared", partitions: 3, keyField: "user", eventTimeField: "ts", idField: "id" },
  { name: "s", partitions: 2 },
];
export const EVENTS = [
  { user: "ann", ts: 1_000_000, id: "e-1", text: "hello world", amount: 12.5, tags: ["a", "b"], nested: { deep: { x: 1 } } },
  { user: "bob", ts: "2023-11-14T22:13:20Z", id: 7, text: "" },
];
export const JOB_DEFINITIONS = [
  { name: "fresh-job", input: "s", batchInterval: "1s", steps: [{ op: "filter", where: "size(text) > 0" }, { op: "keyBy", key: "user" }, { op: "window", length: "2s", slide: "1s" }, { op: "aggregate", aggs: { count: { fn: "count" }, total: { fn: "sum", of: "amount" } } }] },
  { name: "words", input: "s", steps: [{ op: "flatMap", expr: "text.split(' ')", as: "word" }, { op: "keyBy", key: "word" }, { op: "runningAggregate", aggs: { count: { fn: "count" } } }, { op: "topK", k: 3, by: "count" }] },
  { name: "late", input: "k", output: "s", startFrom: "earliest", steps: [{ op: "map", set: { doubled: "amount * 2.0" } }, { op: "eventWindow", time: "ts", length: "1s", lateness: "1s", emit: "final", aggs: { n: { fn: "count" } } }] },
  { name: "state", input: "k", steps: [{ op: "keyBy", key: "user" }, { op: "mapWithState", init: "0", update: "state + 1", timeout: "30s" }] },
];

/** Percent-encodes text as a client would; a lone surrogate (which has no UTF-8) goes raw. */
function encoded(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return text;
  }
}

const name = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("s", "k", "j", "nope") },
  { weight: 2, arbitrary: oddText.map(encoded) },
  { weight: 1, arbitrary: fc.constantFrom("%", "%E0%A4%A", "%00", "%2F", "a%2Fb", ".", "..", "x".repeat(65), "%F0%9F%92%A5", "%ud800", "a b", "a?b", "a#b") },
);

const queryValue = fc.oneof(
  fc.integer({ min: -5, max: 2000 }).map(String),
  fc.constantFrom("", "0", "1", "1e3", "1.5", "-0", "NaN", "Infinity", "9007199254740993", "1e400", "0x10", "true", "null", "string", "number", "boolean"),
  oddText.map(encoded),
  fc.constantFrom("%", "%E0%A4%A", "%00", "a&b", "=="),
);
const queryKey = fc.oneof(fc.constantFrom("from", "limit", "after", "key", "keyType", "token", "from[]", "__proto__", "constructor", "x"), oddText.map(encoded));
const queryString = fc.array(fc.tuple(queryKey, queryValue, fc.boolean()), { maxLength: 4 }).map((pairs) => pairs.map(([k, v, bare]) => (bare && v === "" ? k : `${k}=${v}`)).join("&"));

const contentType = fc.constantFrom(
  undefined,
  "application/json",
  "application/json; charset=utf-8",
  "Application/JSON",
  "application/json;charset=latin1",
  "application/json; charset=utf-16",
  "application/x-ndjson",
  "application/x-ndjson; charset=utf-8",
  "text/plain",
  "text/plain; charset=utf-8",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/octet-stream",
  "application/json;;",
  " application/json ",
  "application/",
  "*/*",
  "",
);
const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });
const headerName = fc.constantFrom("accept", "accept-encoding", "authorization", "idempotency-key", "last-event-id", "x-forwarded-for", "origin", "connection", "transfer-encoding", "expect", "x-request-id", "cookie");

/** Headers of a request, with `accept: text/event-stream` left out where the route would hold the connection open. */
function headers(allowEventStream: boolean): fc.Arbitrary<Record<string, string>> {
  return fc.tuple(contentType, fc.array(fc.tuple(headerName, fc.oneof(printable, fc.constantFrom("text/event-stream", "application/json", "*/*", "Bearer x", "gzip", "100-continue", "chunked", "-1", "1"))), { maxLength: 3 })).map(([type, extra]) => {
    const out: Record<string, string> = {};
    for (const [k, v] of extra) out[k] = v;
    // inject() computes the length and framing itself; a lie about them is not what this suite tests.
    delete out["transfer-encoding"];
    delete out.connection;
    delete out.expect;
    if (!allowEventStream && /event-stream/i.test(out.accept ?? "")) delete out.accept;
    if (type !== undefined) out["content-type"] = type;
    return out;
  });
}

function bodyFor(url: string): fc.Arbitrary<string | undefined> {
  const templates = url === "/v1/streams" ? STREAM_DECLARATIONS : url === "/v1/jobs" ? JOB_DEFINITIONS : url.endsWith("/events") ? [...EVENTS, EVENTS] : [{}];
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 5, arbitrary: mutated(templates as never[]) },
    { weight: 2, arbitrary: rawText },
    { weight: 1, arbitrary: ndjson(EVENTS as never[]) },
  );
}

const OTHER_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"];

/** A request to one of `routes`, mostly with one of its methods, its parameters filled in at random. */
export function routeRequest(routes: readonly Route[]): fc.Arbitrary<FuzzRequest & { route: Route }> {
  return fc.constantFrom(...routes).chain((route) => {
    const live = route.url.endsWith("/live");
    return fc
      .record({
        method: fc.oneof({ weight: 6, arbitrary: fc.constant(route.method) }, { weight: 1, arbitrary: fc.constantFrom(...OTHER_METHODS) }),
        params: fc.array(name, { minLength: 2, maxLength: 2 }),
        query: fc.oneof(fc.constant(""), queryString),
        headers: headers(!live),
        body: bodyFor(route.url),
      })
      .map(({ method, params, query, headers: h, body }) => {
        let i = 0;
        const path = route.url.replace(/:[a-z]+/g, () => params[i++]!);
        const withBody = method !== "GET" && method !== "HEAD" && body !== undefined;
        return { route, method, url: query === "" ? path : `${path}?${query}`, headers: h, ...(withBody ? { body } : {}) };
      });
  });
}

/** A request to a path no route has, or a route's path bent out of shape. */
export const strayRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({
    method: fc.constantFrom(...OTHER_METHODS),
    segments: fc.array(fc.oneof(name, fc.constantFrom("v1", "v2", "streams", "jobs", "events", "results", "live", "", "//")), { maxLength: 5 }),
    query: fc.oneof(fc.constant(""), queryString),
    headers: headers(false),
  })
  .map(({ method, segments, query, headers: h }) => ({ method, url: `/${segments.join("/")}${query === "" ? "" : `?${query}`}`, headers: h }));
