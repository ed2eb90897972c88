/**
 * Overload beyond capacity, sustained: after a while at a load it keeps up with, a costly job gets
 * events several times faster than it can process them. Ingest sheds the excess with 503 OVERLOADED
 * (and Retry-After) as soon as what is stored for the job would take it longer than the bound to
 * process, so the job's delay stays near the bound instead of growing with the overload, memory
 * stays bounded, no request gets anything but 202 or 503, and once the clients stop every
 * acknowledged event is counted, exactly once.
 */
import { afterEach, expect, it } from "vitest";
import { ServerProcess } from "../support/server-process.js";

let server: ServerProcess | undefined;
afterEach(async () => {
  await server?.dispose();
  server = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SHED_JOB_DELAY_MS = 2000;
const PUSH_MS = 15_000;
const CLIENTS = 4;
const EVENTS_PER_REQUEST = 200;
// About 1,600 CEL iterations an event: a few thousand events a second on two workers, far less than
// four clients push.
const xs = Array.from({ length: 40 }, (_, i) => i);
const body = JSON.stringify(Array.from({ length: EVENTS_PER_REQUEST }, () => ({ xs })));
const job = { name: "costly", input: "load", batchInterval: "500ms", steps: [{ op: "filter", where: "size(xs.map(a, xs.map(b, a + b))) > 0" }, { op: "aggregate", aggs: { n: { fn: "count" } } }] };

type Progress = { pendingBatches: number; eventsProcessed: number; delayMs: number };

async function rssBytes(s: ServerProcess): Promise<number> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  return Number(/^(?:tributary_)?process_resident_memory_bytes (\S+)$/m.exec(text)?.[1] ?? Number.NaN);
}

it("sheds the excess with 503s, keeps the job's delay and the memory bounded, and counts every acknowledged event", async () => {
  server = await ServerProcess.start({ SHED_JOB_DELAY_MS: String(SHED_JOB_DELAY_MS), SHED_EVENT_LOOP_DELAY_MS: "0" });
  const s = server;
  expect((await s.request("POST", "/v1/streams", { name: "load", partitions: 2 })).status).toBe(201);
  expect((await s.request("POST", "/v1/jobs", job)).status).toBe(201);

  // The job runs a while at a load it keeps up with, so it knows its rate, before the overload starts.
  const warmUp = JSON.stringify(Array.from({ length: 50 }, () => ({ xs })));
  let warmed = 0;
  for (let i = 0; i < 6; i++) {
    expect((await fetch(`${s.url}/v1/streams/load/events`, { method: "POST", headers: { "content-type": "application/json" }, body: warmUp })).status).toBe(202);
    warmed += 50;
    await sleep(500);
  }
  while ((await s.request<{ progress: Progress }>("GET", "/v1/jobs/costly")).body.progress.eventsProcessed < warmed) await sleep(100);

  let acknowledged = warmed;
  let shed = 0;
  const unexpected: string[] = [];
  const until = Date.now() + PUSH_MS;
  const client = async () => {
    while (Date.now() < until) {
      const res = await fetch(`${s.url}/v1/streams/load/events`, { method: "POST", headers: { "content-type": "application/json" }, body });
      const answer = (await res.json()) as { error?: { code?: string } };
      if (res.status === 202) acknowledged += EVENTS_PER_REQUEST;
      else if (res.status === 503 && answer.error?.code === "OVERLOADED" && res.headers.get("retry-after") !== null) {
        shed += 1;
        await sleep(50);
      } else unexpected.push(`${res.status} ${JSON.stringify(answer)}`);
    }
  };
  // While the clients push: the job's delay and the server's memory, sampled.
  const delays: number[] = [];
  const rss: number[] = [];
  const sampling = (async () => {
    while (Date.now() < until) {
      const progress = (await s.request<{ progress: Progress }>("GET", "/v1/jobs/costly")).body.progress;
      delays.push(progress.delayMs);
      rss.push(await rssBytes(s));
      await sleep(250);
    }
  })();
  await Promise.all([...Array.from({ length: CLIENTS }, client), sampling]);

  const maxDelay = Math.max(...delays);
  const lateDelay = Math.max(...delays.slice(Math.floor(delays.length * 0.6)));
  console.log(`overload: ${acknowledged} events acknowledged, ${shed} requests shed; delay max ${maxDelay} ms (last 40 %: ${lateDelay} ms); RSS max ${Math.round(Math.max(...rss) / 2 ** 20)} MiB`);
  expect(unexpected).toEqual([]);
  expect(shed).toBeGreaterThan(0);
  expect(acknowledged).toBeGreaterThan(0);
  // Bounded: the delay overshoots the shedding bound by what was acknowledged just before it tripped,
  // and then stops growing; unshed, it grows with the overload for as long as it lasts.
  expect(lateDelay).toBeLessThan(SHED_JOB_DELAY_MS * 5);
  expect(Math.max(...rss)).toBeLessThan(1.5 * 2 ** 30);

  // Every acknowledged event is counted once the job has caught up (a generous bound: a busy machine).
  const deadline = Date.now() + 120_000;
  let processed = 0;
  while (Date.now() < deadline) {
    processed = (await s.request<{ progress: Progress }>("GET", "/v1/jobs/costly")).body.progress.eventsProcessed;
    if (processed >= acknowledged) break;
    await sleep(500);
  }
  await sleep(1500); // a batch or two more: nothing beyond what was acknowledged may turn up
  let counted = 0;
  for (let from = 1; ; ) {
    const page = (await s.request<{ frames: { rows: { n: number }[] }[]; next: number; last: number }>("GET", `/v1/jobs/costly/results?from=${from}&limit=1000`)).body;
    counted += page.frames.reduce((n, f) => n + (f.rows[0]?.n ?? 0), 0);
    if (page.next > page.last) break;
    from = page.next;
  }
  expect(counted).toBe(acknowledged);
}, 180_000);
