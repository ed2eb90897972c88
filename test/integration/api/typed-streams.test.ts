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
  });

  it("runs a pattern only on strings of bounded length, and says so", async () => {
    const t = await app();
    await declare(t).expect(201);
    const long = `@${"a".repeat(EVENT_SCHEMA_LIMITS.maxPatternInput)}`;
    const refused = await supertest(t.app.server).post("/v1/streams/tweets/events").send({ text: "hi", user: long }).expect(400);
    expect(refused.body.error.message).toContain(`field "user" is ${long.length} characters; a field with a pattern may have at most ${EVENT_SCHEMA_LIMITS.maxPatternInput}`);
  });
});

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
  ])("refuses %s with 400 naming it, declaring nothing", async (_what, schema, message) => {
    const t = await app();
    const refused = await declare(t, "s", schema).expect(400);
    expect(refused.body.error.code).toBe("INVALID_STREAM");
    expect(refused.body.error.message).toMatch(message);
    expect(refused.body.error.details.problems[0].path).toBe("schema");
    expect((await supertest(t.app.server).get("/v1/streams").expect(200)).body.streams).toEqual([]);
  });
});
