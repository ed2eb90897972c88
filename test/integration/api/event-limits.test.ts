/**
 * Ingest refuses an event past the event limits (nesting depth, fields, encoded size) with 400
 * INVALID_EVENT naming the limit and the event, before anything is stored; events right at the
 * limits are stored and read back whole.
 */
import supertest from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeBlock } from "../../../src/engine/block-codec.js";
import { EVENT_LIMITS } from "../../../src/engine/event-limits.js";
import { createTestApp, type TestApp } from "../../support/test-app.js";

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp();
  await t.app.ready();
});
afterEach(() => t.close());

const http = () => supertest(t.app.server);

/** An event `depth` objects deep: {"n": {"n": ... {"leaf": 1}}}. */
function nested(depth: number): Record<string, unknown> {
  let event: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < depth; i++) event = { n: event };
  return event;
}

/** An event with `count` fields in total, spread over a nested object. */
function withFields(count: number): Record<string, unknown> {
  const inner: Record<string, number> = {};
  for (let i = 0; i < count - 1; i++) inner[`f${i}`] = i;
  return { inner };
}

/** An event whose JSON text is exactly `bytes` bytes of UTF-8 (with 3-byte characters in its text). */
function ofBytes(bytes: number): Record<string, unknown> {
  const overhead = JSON.stringify({ text: "" }).length;
  const euros = Math.floor((bytes - overhead) / 3);
  return { text: "€".repeat(euros) + "x".repeat(bytes - overhead - 3 * euros) };
}

async function storedEvents(stream: string): Promise<unknown[]> {
  const def = await t.store.catalog.getStream(stream);
  if (!def) return [];
  const events: unknown[] = [];
  for (let p = 0; p < def.partitions; p++) {
    for (const block of await t.store.streams.read({ stream, partition: p, from: 0, to: await t.store.streams.endOffset(stream, p) })) events.push(...decodeBlock(block.payload));
  }
  return events;
}

const cases = [
  ["maxDepth", nested(EVENT_LIMITS.maxDepth), nested(EVENT_LIMITS.maxDepth + 1)],
  ["maxFields", withFields(EVENT_LIMITS.maxFields), withFields(EVENT_LIMITS.maxFields + 1)],
  ["maxBytes", ofBytes(EVENT_LIMITS.maxBytes), ofBytes(EVENT_LIMITS.maxBytes + 1)],
] as const;

describe("event limits", () => {
  it.each(cases)("stores an event right at %s and refuses one past it, storing nothing", async (limit, atLimit, pastLimit) => {
    const refused = await http().post("/v1/streams/s/events").send([{ ok: true }, pastLimit]).expect(400);
    expect(refused.body.error).toMatchObject({ code: "INVALID_EVENT", details: { index: 1, limit } });
    expect(refused.body.error.message).toMatch(new RegExp(`^event 1 .*at most ${EVENT_LIMITS[limit]}`));
    expect(await t.store.catalog.getStream("s")).toBeUndefined();

    await http().post("/v1/streams/s/events").send([atLimit]).expect(202);
    expect(await storedEvents("s")).toEqual([atLimit]);
  });

  it("refuses an event nested 5,000 deep, in JSON or NDJSON, without creating the stream", async () => {
    const deep = `${'{"n":'.repeat(5000)}1${"}".repeat(5000)}`;
    const json = await http().post("/v1/streams/deep/events").set("content-type", "application/json").send(deep).expect(400);
    expect(json.body.error).toMatchObject({ code: "INVALID_EVENT", details: { index: 0, limit: "maxDepth" } });
    const ndjson = await http().post("/v1/streams/deep/events").set("content-type", "application/x-ndjson").send(`{"a":1}\n\n${deep}\n`).expect(400);
    expect(ndjson.body.error).toMatchObject({ code: "INVALID_EVENT", details: { index: 1, line: 3, limit: "maxDepth" } });
    expect((await http().get("/v1/streams").expect(200)).body.streams).toEqual([]);
  });

  it("counts arrays toward the depth, but not their elements toward the fields", async () => {
    const arrays = { list: JSON.parse(`${"[".repeat(EVENT_LIMITS.maxDepth - 1)}1${"]".repeat(EVENT_LIMITS.maxDepth - 1)}`) as unknown };
    await http().post("/v1/streams/a/events").send(arrays).expect(202);
    const deeper = { list: [arrays.list] };
    const res = await http().post("/v1/streams/a/events").send(deeper).expect(400);
    expect(res.body.error.details).toMatchObject({ index: 0, limit: "maxDepth" });
    await http().post("/v1/streams/a/events").send({ list: Array.from({ length: 5000 }, (_, i) => i) }).expect(202);
  });

  it("keeps an idField stream's events whole within the limits", async () => {
    await http().post("/v1/streams").send({ name: "ids", idField: "id" }).expect(201);
    await http().post("/v1/streams/ids/events").send([{ id: 1, ...nested(EVENT_LIMITS.maxDepth) }, { id: 2 }]).expect(202);
    expect(await storedEvents("ids")).toHaveLength(2);
    const res = await http().post("/v1/streams/ids/events").send([{ id: 3 }, { id: 4, deep: nested(EVENT_LIMITS.maxDepth) }]).expect(400);
    expect(res.body.error.details).toMatchObject({ index: 1, limit: "maxDepth" });
    expect(await storedEvents("ids")).toHaveLength(2);
  });
});
