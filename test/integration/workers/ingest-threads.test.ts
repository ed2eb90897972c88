/**
 * NDJSON ingest through the ingest threads: a large body is parsed on a thread of its own (the thread
 * counts it, and the main thread does not), its events are stored in order per partition, bad lines get
 * the very 4xx bodies the inline path gives, idempotent retries find their blocks, and a backlog past
 * its bound is refused with 503 OVERLOADED, storing nothing.
 */
import supertest from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { decodeBlock } from "../../../src/engine/block-codec.js";
import { EngineError } from "../../../src/engine/errors.js";
import { IngestThreads } from "../../../src/workers/ingest/ingest-threads.js";
import { createTestApp, type TestApp } from "../../support/test-app.js";

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

async function appWithThreads(options: ConstructorParameters<typeof IngestThreads>[0] = { threads: 2 }): Promise<TestApp> {
  const threads = new IngestThreads(options);
  const t = await createTestApp({ ingestEncoder: threads });
  opened.push(threads, t);
  await t.app.ready();
  return t;
}

async function inlineApp(): Promise<TestApp> {
  const t = await createTestApp();
  opened.push(t);
  await t.app.ready();
  return t;
}

/** `count` events {n, pad} as NDJSON, well past the size encoded inline. */
function ndjson(count: number, from = 0): string {
  return Array.from({ length: count }, (_, i) => JSON.stringify({ n: from + i, pad: "x".repeat(40) })).join("\n") + "\n";
}

const post = (t: TestApp, stream: string, body: string, key?: string) => {
  const req = supertest(t.app.server).post(`/v1/streams/${stream}/events`).set("content-type", "application/x-ndjson");
  return key === undefined ? req.send(body) : req.set("idempotency-key", key).send(body);
};

async function encodedOn(t: TestApp, thread: string): Promise<number> {
  const text = await t.metrics.registry.metrics();
  const line = text.split("\n").find((l) => l.startsWith(`tributary_ingest_bodies_encoded_total{thread="${thread}"}`));
  return line === undefined ? 0 : Number(line.split(" ").pop());
}

/** Every stored event's n, partition by partition, in offset order. */
async function storedByPartition(t: TestApp, stream: string): Promise<number[][]> {
  const def = (await t.store.catalog.getStream(stream))!;
  const out: number[][] = [];
  for (let p = 0; p < def.partitions; p++) {
    const blocks = await t.store.streams.read({ stream, partition: p, from: 0, to: await t.store.streams.endOffset(stream, p) });
    out.push(blocks.flatMap((b) => decodeBlock(b.payload).map((e) => e.n as number)));
  }
  return out;
}

describe("ingest threads", () => {
  it("parse a large NDJSON body on an ingest thread, not on the main thread", async () => {
    const t = await appWithThreads();
    const res = await post(t, "big", ndjson(2000)).expect(202);
    expect(res.body.accepted).toBe(2000);
    expect(await encodedOn(t, "ingest thread")).toBe(1);
    expect(await encodedOn(t, "main")).toBe(0);
  });

  it("store each partition's events in the order of the lines, body after body", async () => {
    const t = await appWithThreads();
    await supertest(t.app.server).post("/v1/streams").send({ name: "one", partitions: 1 }).expect(201);
    await supertest(t.app.server).post("/v1/streams").send({ name: "four", partitions: 4 }).expect(201);
    for (let b = 0; b < 3; b++) {
      await post(t, "one", ndjson(1000, b * 1000)).expect(202);
      await post(t, "four", ndjson(1001, b * 1001)).expect(202);
    }
    expect(await storedByPartition(t, "one")).toEqual([Array.from({ length: 3000 }, (_, i) => i)]);
    const four = await storedByPartition(t, "four");
    // Round-robin: each partition holds every fourth event, in order; together, every event once.
    for (const events of four) {
      expect(events).toEqual([...events].sort((a, b) => a - b));
      for (let i = 1; i < events.length; i++) expect(events[i]! - events[i - 1]!).toBe(4);
    }
    expect(four.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 3003 }, (_, i) => i));
  });

  it("find an idempotent retry's blocks instead of storing them twice", async () => {
    const t = await appWithThreads();
    const first = await post(t, "s", ndjson(1500), "retry-1").expect(202);
    const again = await post(t, "s", ndjson(1500), "retry-1").expect(202);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.body.blocks).toEqual(first.body.blocks);
    expect((await storedByPartition(t, "s")).flat()).toHaveLength(1500);
  });

  const big = ndjson(1000);
  it.each([
    ["a line that is not JSON", `${big}{oops\n`, undefined],
    ["a line that is not an object", `${big}[1,2]\n`, undefined],
    ["an event without the key field", `${big}{"text":"no user"}\n`, { partitions: 2, keyField: "n" }],
    ["an event past the depth limit", `${big}${"[".repeat(40)}${"]".repeat(40)}\n`, undefined],
    ["a bad event before a line that is not JSON", `${big}"text"\n{oops\n`, undefined],
  ])("answer %s with the same 4xx body as the main thread, storing nothing", async (_label, body, declared) => {
    const threaded = await appWithThreads();
    const inline = await inlineApp();
    for (const t of [threaded, inline]) if (declared) await supertest(t.app.server).post("/v1/streams").send({ name: "s", ...declared }).expect(201);
    const a = await post(threaded, "s", body);
    const b = await post(inline, "s", body);
    expect(a.status).toBeGreaterThanOrEqual(400);
    expect(a.status).toBeLessThan(500);
    expect({ status: a.status, body: a.body }).toEqual({ status: b.status, body: b.body });
    expect(a.body.error.message).toMatch(/line 100[12]/);
    expect(await encodedOn(threaded, "main")).toBe(0);
    expect(await threaded.store.catalog.getStream("s").then((d) => d && storedByPartition(threaded, "s"))).toEqual(declared ? [[], []] : undefined);
  });

  it("refuse a body with OVERLOADED while the backlog is past its bound, and take the next once it has drained", async () => {
    const threads = new IngestThreads({ threads: 1, maxBacklogBytes: 1 });
    opened.push(threads);
    const shape = { name: "s", partitions: 2 };
    const body = new TextEncoder().encode(ndjson(2000));
    const first = threads.encodeNdjson(body, shape, false);
    const refused = threads.encodeNdjson(body, shape, false);
    await expect(refused).rejects.toSatisfy((e: unknown) => e instanceof EngineError && e.code === "OVERLOADED" && /ingest threads/.test(e.message));
    expect((await first).count).toBe(2000);
    expect((await threads.encodeNdjson(body, shape, false)).count).toBe(2000);
  });

  it("answer 503 OVERLOADED with Retry-After when the threads' backlog is full, and store only what was acknowledged", async () => {
    const t = await appWithThreads({ threads: 1, maxBacklogBytes: 1 });
    const answers = await Promise.all(Array.from({ length: 8 }, (_, b) => post(t, "s", ndjson(3000, b * 3000))));
    const refused = answers.filter((a) => a.status === 503);
    const acknowledged = answers.filter((a) => a.status === 202);
    expect(refused.length + acknowledged.length).toBe(8);
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    for (const a of refused) {
      expect(a.body.error.code).toBe("OVERLOADED");
      expect(a.headers["retry-after"]).toBe("1");
    }
    expect((await storedByPartition(t, "s")).flat()).toHaveLength(acknowledged.length * 3000);
  });
});
