/**
 * The whole product loop against a real server process: declare a stream, register the wordcount
 * examples, push a generated corpus over several batches, watch results over real WebSockets, and
 * check every frame against an exact recount.
 *
 * The example jobs run with shorter timing here (200 ms batches, a 1 s window sliding every 200 ms)
 * so that many windows open and close within seconds; their steps are the examples' own.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { logLines, tweets } from "../../examples/lib/corpus.mjs";
import { ServerProcess } from "../support/server-process.js";
import { LiveClient } from "../support/ws-client.js";

type Row = Record<string, unknown>;
interface Receipt { blocks: { partition: number; offset: number; count: number }[] }
interface Descriptor { batchTime: number; ranges: { partition: number; from: number; to: number }[] }

const example = (file: string) => JSON.parse(readFileSync(new URL(`../../examples/${file}`, import.meta.url), "utf8")) as Row;
const timing = { batchInterval: "200ms" };
const windowJob = { ...example("wordcount/window-job.json"), ...timing };
(windowJob.steps as Row[])[3] = { op: "window", length: "1s", slide: "200ms" };
const totalsJob = { ...example("wordcount/totals-job.json"), ...timing };
const grepJob = { ...example("grep/job.json"), ...timing };

function countWords(events: Row[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of events) for (const w of String(e.text).split(" ")) if (w.length > 0) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}

const asCounts = (rows: readonly Row[]) => new Map(rows.map((r) => [String(r.key), Number(r.count)]));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: ServerProcess;
beforeAll(async () => {
  // A checkpoint trims the batch descriptors older than it, and this test recounts windows from those
  // descriptors: checkpoints are kept a day apart here (they have their own tests), and the descriptors
  // are also collected while the job runs, so a checkpoint that does fall inside the run hides nothing.
  server = await ServerProcess.start({ CHECKPOINT_INTERVAL_MS: process.env.E2E_CHECKPOINT_MS ?? "86400000" });
});
afterAll(async () => {
  await server?.dispose();
});

describe("wordcount end to end", () => {
  it("gives running totals equal to a recount, and every sliding window equal to a recount of its batches", async () => {
    expect((await server.request("POST", "/v1/streams", { name: "tweets", partitions: 2, keyField: "user" })).status).toBe(201);
    expect((await server.request("POST", "/v1/jobs", windowJob)).status).toBe(201);
    expect((await server.request("POST", "/v1/jobs", totalsJob)).status).toBe(201);
    const windowLive = new LiveClient(`${server.wsUrl}/v1/jobs/wordcount-30s/results/live?from=1`);
    const totalsLive = new LiveClient(`${server.wsUrl}/v1/jobs/wordcount-totals/results/live?from=1`);

    // Each request carries one user's tweets, so it is stored as exactly one block: the test then
    // knows which events each block holds, and from the batch descriptors which blocks each batch read.
    const blockEvents = new Map<string, Row[]>();
    const descriptors = new Map<number, Descriptor>();
    const collectDescriptors = async () => {
      const { body } = await server.request<{ batches: Descriptor[] }>("GET", "/v1/jobs/wordcount-30s/batches?limit=1000");
      for (const d of body.batches) descriptors.set(d.batchTime, d);
    };
    const corpus = tweets(3000, 42) as Row[];
    const all: Row[] = [];
    for (let round = 0; round < 15; round++) {
      const user = `u${round % 4}`;
      const events = corpus.slice(round * 200, (round + 1) * 200).map((e) => ({ ...e, user }));
      const res = await server.request<Receipt>("POST", "/v1/streams/tweets/events", events.map((e) => JSON.stringify(e)).join("\n"), { "content-type": "application/x-ndjson" });
      expect(res.status).toBe(202);
      expect(res.body.blocks).toHaveLength(1);
      const block = res.body.blocks[0]!;
      blockEvents.set(`${block.partition}:${block.offset}`, events);
      all.push(...events);
      await collectDescriptors();
      await sleep(round % 3 === 0 ? 250 : 60);
    }

    // Wait until both jobs have read every event and the window has slid past the last of them.
    const job = async (id: string) => (await server.request<{ progress: { eventsProcessed: number; lastSeq: number } }>("GET", `/v1/jobs/${id}`)).body.progress;
    const deadline = Date.now() + 20_000;
    while ((await job("wordcount-totals")).eventsProcessed < all.length || (await job("wordcount-30s")).eventsProcessed < all.length) {
      if (Date.now() > deadline) throw new Error("jobs did not process every event in time");
      await collectDescriptors();
      await sleep(100);
    }
    for (let i = 0; i < 15; i++) {
      await collectDescriptors();
      await sleep(100); // let the 1 s window slide past the last events
    }
    const lastTotals = (await job("wordcount-totals")).lastSeq;
    const lastWindow = (await job("wordcount-30s")).lastSeq;
    await totalsLive.until(() => totalsLive.results.length >= lastTotals, 10_000, "all totals frames");
    await windowLive.until(() => windowLive.results.length >= lastWindow, 10_000, "all window frames");

    // Frames arrive once each, in order.
    expect(totalsLive.results.map((f) => f.seq)).toEqual(Array.from({ length: totalsLive.results.length }, (_, i) => i + 1));
    expect(windowLive.results.map((f) => f.seq)).toEqual(Array.from({ length: windowLive.results.length }, (_, i) => i + 1));

    // (a) The last running totals equal an exact recount of the whole corpus.
    const finalTotals = totalsLive.results.at(-1)!.rows as Row[];
    const recount = countWords(all);
    expect(asCounts(finalTotals)).toEqual(recount);
    // The live state, read from the worker that owns each key, says the same.
    for (const word of [...recount.keys()].slice(0, 5)) {
      const { body } = await server.request<{ found: boolean; state: Row }>("GET", `/v1/jobs/wordcount-totals/state?key=${encodeURIComponent(word)}`);
      expect(body, word).toMatchObject({ found: true, state: { key: word, count: recount.get(word) } });
    }

    // (b) Every window frame equals a recount of the events in the batches its window covers.
    await collectDescriptors();
    const batchTimes = [...descriptors.keys()].sort((a, b) => a - b);
    const firstBatch = batchTimes[0]!;
    // Every batch from the first one on is known, so no window below is recounted from a partial list.
    expect(batchTimes).toEqual(Array.from({ length: batchTimes.length }, (_, i) => firstBatch + i * 200));
    const eventsOf = (d: Descriptor) => d.ranges.flatMap((r) => Array.from({ length: r.to - r.from }, (_, i) => blockEvents.get(`${r.partition}:${r.from + i}`)!).flat());
    let nonEmpty = 0;
    for (const frame of windowLive.results) {
      const window = frame.window as { start: number; end: number };
      expect(window.end).toBe(frame.batchTime);
      expect(window.end - window.start).toBe(1000);
      const covered = [...descriptors.values()].filter((d) => d.batchTime > window.start && d.batchTime <= window.end);
      expect(asCounts(frame.rows as Row[]), `window ending ${window.end}`).toEqual(countWords(covered.flatMap(eventsOf)));
      if ((frame.rows as Row[]).length > 0) nonEmpty++;
    }
    expect(nonEmpty).toBeGreaterThan(5);
    // The corpus was spread over several batches, so windows saw different parts of it.
    expect([...descriptors.values()].filter((d) => d.ranges.length > 0).length).toBeGreaterThan(3);
    windowLive.close();
    totalsLive.close();
  });

  it("grep counts the matching lines of each batch", async () => {
    expect((await server.request("POST", "/v1/jobs", { ...grepJob, startFrom: "earliest" })).status).toBe(400); // no stream "logs" yet
    const lines = logLines(2000, 7) as Row[];
    expect((await server.request("POST", "/v1/streams/logs/events", lines.slice(0, 1))).status).toBe(202);
    expect((await server.request("POST", "/v1/jobs", { ...grepJob, startFrom: "earliest" })).status).toBe(201);
    const live = new LiveClient(`${server.wsUrl}/v1/jobs/grep-errors/results/live?from=1`);
    for (let i = 1; i < lines.length; i += 400) {
      expect((await server.request("POST", "/v1/streams/logs/events", lines.slice(i, i + 400))).status).toBe(202);
      await sleep(120);
    }
    const expected = lines.filter((l) => String(l.line).includes("ERROR")).length;
    const matched = () => live.results.reduce((n, f) => n + Number((f.rows as Row[])[0]!.matches), 0);
    await live.until(() => matched() >= expected && live.results.length > 3, 15_000, "all matches");
    await sleep(500);
    expect(matched()).toBe(expected);
    expect(live.results.every((f) => (f.rows as Row[]).length === 1)).toBe(true);
    live.close();
  });
});
