/**
 * Typed streams: a stream declared with a JSON Schema refuses, on every ingest path (a JSON object or
 * array on the main thread, NDJSON inline and on the ingest threads), an event that does not match,
 * with 400 naming the index or line, the field and what was expected, storing nothing of the request.
 * A schema that could cost without bound (a remote $ref, a pattern that backtracks, one too large) is
 * refused when the stream is declared.
 */
import supertest from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { decodeBlock } from "../../../src/engine/block-codec.js";
import { EVENT_SCHEMA_LIMITS } from "../../../src/engine/event-schema.js";
import { IngestThreads } from "../../../src/workers/ingest/ingest-threads.js";
import { createTestApp, type TestApp } from "../../support/test-app.js";

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

async function app(threads = 0): Promise<TestApp> {
  const encoder = threads > 0 ? new IngestThreads({ threads }) : undefined;
  const t = await createTestApp(encoder ? { ingestEncoder: encoder } : {});
  if (encoder) opened.push(encoder);
  opened.push(t);
  await t.app.ready();
  return t;
}

const TWEET = {
  type: "object",
  properties: { text: { type: "string" }, user: { type: "string", pattern: "^@[a-z0-9_]+$" }, likes: { type: "integer", minimum: 0 } },
  required: ["text", "user"],
};

function declare(t: TestApp, name = "tweets", schema: unknown = TWEET) {
  return supertest(t.app.server).post("/v1/streams").send({ name, partitions: 2, schema });
}

async function stored(t: TestApp, stream: string): Promise<unknown[]> {
  const def = (await t.store.catalog.getStream(stream))!;
  const events: unknown[] = [];
  for (let p = 0; p < def.partitions; p++) {
    for (const block of await t.store.streams.read({ stream, partition: p, from: 0, to: await t.store.streams.endOffset(stream, p) })) events.push(...decodeBlock(block.payload));
  }
  return events;
}

const ndjson = (events: unknown[]) => events.map((e) => JSON.stringify(e)).join("\n") + "\n";
const good = (i: number) => ({ text: `tweet ${i} ${"x".repeat(60)}`, user: "@ann", likes: i });

describe("a stream's schema at ingest", () => {
  it("is shown by the stream and refuses a JSON array's mismatching event by index, field and expectation, storing nothing", async () => {
    const t = await app();
    await declare(t).expect(201);
    expect((await supertest(t.app.server).get("/v1/streams/tweets").expect(200)).body.schema).toEqual(TWEET);

    const wrongType = await supertest(t.app.server).post("/v1/streams/tweets/events").send([good(0), good(1), { text: 5, user: "@bo" }]).expect(400);
    expect(wrongType.body.error).toMatchObject({ code: "INVALID_EVENT", details: { index: 2, field: "text", expected: "must be string (got 5)" } });
    expect(wrongType.body.error.message).toMatch(/^event 2 field "text" must be string \(got 5\)/);

    const missing = await supertest(t.app.server).post("/v1/streams/tweets/events").send({ text: "hi" }).expect(400);
    expect(missing.body.error).toMatchObject({ details: { index: 0, field: "user", expected: "is required" } });

    const pattern = await supertest(t.app.server).post("/v1/streams/tweets/events").send([good(0), { text: "hi", user: "ann" }]).expect(400);
    expect(pattern.body.error.message).toMatch(/event 1 field "user" must match pattern/);
    expect(await stored(t, "tweets")).toEqual([]);

    await supertest(t.app.server).post("/v1/streams/tweets/events").send([good(0), good(1)]).expect(202);
    expect(await stored(t, "tweets")).toHaveLength(2);
  });

  it.each([
    ["inline", 0],
    ["on an ingest thread", 2],
  ])("refuses an NDJSON body %s by the line of its first mismatching event, storing nothing", async (_where, threads) => {
    const t = await app(threads);
    await declare(t).expect(201);
    // Well past the size encoded inline, so that with threads the body is checked on one.
    const events: unknown[] = Array.from({ length: 200 }, (_, i) => good(i));
    events[150] = { ...good(150), likes: -1 };
    const refused = await supertest(t.app.server).post("/v1/streams/tweets/events").set("content-type", "application/x-ndjson").send(ndjson(events)).expect(400);
    expect(refused.body.error).toMatchObject({ code: "INVALID_EVENT", details: { line: 151, index: 150, field: "likes" } });
    expect(refused.body.error.message).toMatch(/^NDJSON line 151: event 150 field "likes" must be >= 0 \(got -1\)/);
    expect(await stored(t, "tweets")).toEqual([]);

    events[150] = good(150);
    await supertest(t.app.server).post("/v1/streams/tweets/events").set("content-type", "application/x-ndjson").send(ndjson(events)).expect(202);
    expect(await stored(t, "tweets")).toHaveLength(200);
    // The stored body was checked where the test meant it to be.
    const onThreads = (await t.metrics.registry.metrics()).split("\n").find((l) => l.startsWith('tributary_ingest_bodies_encoded_total{thread="ingest thread"}'));
    expect(onThreads === undefined ? 0 : Number(onThreads.split(" ").pop())).toBe(threads > 0 ? 1 : 0);
  });

  it("runs a pattern only on strings of bounded length, and says so", async () => {
    const t = await app();
    await declare(t).expect(201);
    const long = `@${"a".repeat(EVENT_SCHEMA_LIMITS.maxPatternInput)}`;
    const refused = await supertest(t.app.server).post("/v1/streams/tweets/events").send({ text: "hi", user: long }).expect(400);
    expect(refused.body.error.message).toContain(`field "user" is ${long.length} characters; a field with a pattern may have at most ${EVENT_SCHEMA_LIMITS.maxPatternInput}`);
  });
});

/** Each level refers twice to the next: small as text, 2^levels checks an event once followed. */
function doublingRefs(levels: number): Record<string, unknown> {
  const $defs: Record<string, unknown> = { [`l${levels}`]: { type: "object" } };
  for (let i = 0; i < levels; i++) $defs[`l${i}`] = { allOf: [{ $ref: `#/$defs/l${i + 1}` }, { $ref: `#/$defs/l${i + 1}` }] };
  return { $ref: "#/$defs/l0", $defs };
}

describe("a stream's schema at declaration", () => {
  it.each([
    ["a remote $ref", { $ref: "https://example.com/tweet.json" }, /may refer only inside itself/],
    ["a pattern that backtracks without end", { properties: { s: { type: "string", pattern: "^(a+)+$" } } }, /at \/properties\/s\/pattern .*repeats a group/],
    ["a backreference", { properties: { s: { pattern: "(a)\\1" } } }, /backreference/],
    ["a pattern too long", { properties: { s: { pattern: "a".repeat(EVENT_SCHEMA_LIMITS.maxPatternChars + 1) } } }, /at most 256/],
    ["too large a schema", { properties: Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`field${i}`, { type: "string" }])) }, /at most 16384/],
    ["a misspelt keyword", { type: "object", requird: ["text"] }, /unknown keyword: "requird"/],
    ["a format", { properties: { at: { type: "string", format: "date-time" } } }, /"format", which streams do not check/],
    ["not an object", ["text"], /must be a JSON Schema object/],
    ["refs that multiply (2^30 checks an event)", doublingRefs(30), /more than 1000 schema objects once its \$refs are followed/],
    ["a recursive $ref", { $defs: { node: { properties: { kids: { items: { $ref: "#/$defs/node" } } } } }, $ref: "#/$defs/node" }, /recursive schemas are not supported/],
    ["uniqueItems over objects without maxItems", { properties: { tags: { type: "array", uniqueItems: true } } }, /uniqueItems at \/properties\/tags\/uniqueItems without "maxItems"/],
    ["alternatives tried on every element of a long array", { properties: { xs: { items: { anyOf: Array.from({ length: 300 }, (_, i) => ({ required: [`f${i}`] })) } } } }, /alternatives .* more than 20000 times on one event/],
  ])("refuses %s with 400 naming it, declaring nothing", async (_what, schema, message) => {
    const t = await app();
    const refused = await declare(t, "s", schema).expect(400);
    expect(refused.body.error.code).toBe("INVALID_STREAM");
    expect(refused.body.error.message).toMatch(message);
    expect(refused.body.error.details.problems[0].path).toBe("schema");
    expect((await supertest(t.app.server).get("/v1/streams").expect(200)).body.streams).toEqual([]);
  });
});

describe("a job reading a typed stream", () => {
  const job = (steps: unknown[]) => ({ name: "j", input: "tweets", steps });

  it.each([
    ["a field the schema does not declare", [{ op: "filter", where: 'txt.contains("a")' }], "steps[0].where", /reads field 'txt', which stream "tweets" does not declare in its schema/],
    ["a where that is not a bool", [{ op: "filter", where: "size(text)" }], "steps[0].where", /must give a bool .* "size\(text\)" gives an int \(field 'text' is a string\)/],
    ["a field used as another type", [{ op: "keyBy", key: "user" }, { op: "aggregate", aggs: { n: { fn: "sum", of: "likes.size()" } } }], "steps[1].aggs.n.of", /'size' cannot be applied on a value of type double .*field 'likes' is a double/],
    ["a field an earlier step left out", [{ op: "flatMap", expr: "text.split(' ')", as: "word" }, { op: "filter", where: "likes > 1" }], "steps[1].where", /reads field 'likes', which the rows no longer have at this step \(they have: word\)/],
  ])("refuses %s at registration and validation, naming the step's path and the field", async (_what, steps, path, message) => {
    const t = await app();
    await declare(t).expect(201);
    for (const route of ["/v1/jobs", "/v1/jobs/validate"]) {
      const refused = await supertest(t.app.server).post(route).send(job(steps)).expect(400);
      expect(refused.body.error.code).toBe("INVALID_JOB");
      expect(refused.body.error.details.problems).toEqual([{ path, message: expect.stringMatching(message) }]);
      expect(refused.body.error.message).toContain(`${path}: `);
    }
    expect((await supertest(t.app.server).get("/v1/jobs").expect(200)).body.jobs).toEqual([]);
  });

  it("registers a job whose expressions fit the declared types, and counts what it reads", async () => {
    const t = await app();
    await declare(t).expect(201);
    const steps = [
      { op: "filter", where: "likes > 0 && text.contains('x') && has(row.extra) == false" },
      { op: "flatMap", expr: "text.split(' ')", as: "word" },
      { op: "keyBy", key: "word" },
      { op: "aggregate", aggs: { n: { fn: "count" } } },
    ];
    await supertest(t.app.server).post("/v1/jobs").send(job(steps)).expect(201);
    await supertest(t.app.server).post("/v1/streams/tweets/events").send([{ text: "x y", user: "@a", likes: 1 }, { text: "x", user: "@b", likes: 0 }]).expect(202);
    await t.advance(1000);
    const frames = (await supertest(t.app.server).get("/v1/jobs/j/results").expect(200)).body.frames as { rows: { key: string; n: number }[] }[];
    expect(frames.flatMap((f) => f.rows).sort((a, b) => a.key.localeCompare(b.key))).toEqual([{ key: "x", n: 1 }, { key: "y", n: 1 }]);
  });
});

describe("a job reading a stream without a schema", () => {
  it("keeps the first failing row's message in progress.lastRowError, naming the missing field", async () => {
    const t = await app();
    await supertest(t.app.server).post("/v1/streams").send({ name: "loose", partitions: 1 }).expect(201);
    await supertest(t.app.server).post("/v1/jobs").send({ name: "j", input: "loose", steps: [{ op: "filter", where: 'text.contains("a")' }] }).expect(201);
    expect((await supertest(t.app.server).get("/v1/jobs/j").expect(200)).body.progress.lastRowError).toBeNull();
    await supertest(t.app.server).post("/v1/streams/loose/events").send([{ text: "abc" }, { body: "no text" }, { text: null }]).expect(202);
    await t.advance(1000);
    const progress = (await supertest(t.app.server).get("/v1/jobs/j").expect(200)).body.progress;
    expect(progress.rowErrors.count).toBe(2);
    expect(progress.lastRowError).toMatch(/^evaluating "text\.contains\(\\"a\\"\)": the row has no field 'text'; skip such rows with a filter such as "has\(row\.text\)"/);
    expect(progress.lastRowError).not.toMatch(/null_type|no matching overload/);
    expect(progress.rowErrors.last).toMatch(/field 'text' is null/);
  });
});
