/**
 * A restarted server serves while it rebuilds its jobs: 30 running-total jobs on 100 ms batches, never
 * checkpointed, so each must replay every batch it recorded. Right after the SIGKILLed server is
 * started again, it answers /healthz and acknowledges ingest while (the evidence) a state query of one
 * of its jobs answers that the job is still being recovered and /readyz counts jobs still recovering.
 * Then every job comes back with nothing lost or doubled: each job's state for the common words equals
 * a recount of every acknowledged event (those acknowledged during the recovery included), its
 * events processed equal the events acknowledged, and its result frames have consecutive seqs and
 * strictly increasing batch times.
 */
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { tweets } from "../../examples/lib/corpus.mjs";
import { ServerProcess } from "../support/server-process.js";

type Row = Record<string, unknown>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const JOBS = 30;
const jobIds = Array.from({ length: JOBS }, (_, i) => `totals-${i}`);

let server: ServerProcess | undefined;
afterAll(async () => {
  await server?.dispose();
});

/** Posts `events` until acknowledged, with one Idempotency-Key, so each is stored exactly once. */
async function ingest(s: ServerProcess, events: readonly Row[]): Promise<void> {
  const key = randomUUID();
  for (let attempt = 0; attempt < 200; attempt++) {
    const res = await s.request("POST", "/v1/streams/tweets/events", events, { "idempotency-key": key }).catch(() => undefined);
    if (res?.status === 202) return;
    await sleep(50);
  }
  throw new Error("an ingest request was never acknowledged");
}

function countWords(events: readonly Row[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of events) for (const w of String(e.text).split(" ")) if (w) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}

interface JobView {
  readonly id: string;
  readonly progress: { readonly eventsProcessed: number } | null;
}

describe("a restart with many jobs", () => {
  it("serves /healthz and ingest while its jobs replay, then every job is back with nothing lost or doubled", async () => {
    // No checkpoint before the kill: every job replays all of its batches.
    server = await ServerProcess.start({ WORKERS: "2", CHECKPOINT_INTERVAL_MS: "600000" });
    const s = server;
    await s.requestOk("POST", "/v1/streams", { name: "tweets", partitions: 2 });
    const definition = (name: string) => ({
      name,
      input: "tweets",
      batchInterval: "100ms",
      steps: [{ op: "flatMap", expr: "text.split(' ')", as: "word" }, { op: "keyBy", key: "word" }, { op: "runningAggregate", aggs: { count: { fn: "count" } } }],
    });
    for (const id of jobIds) await s.requestOk("POST", "/v1/jobs", definition(id));

    const corpus = tweets(4000, 3) as Row[];
    const acknowledged: Row[] = [];
    // Events over about 3 s: each job records some 30 batches, all with events.
    for (let r = 0; r < 30; r++) {
      const events = corpus.slice(r * 100, (r + 1) * 100);
      await ingest(s, events);
      acknowledged.push(...events);
      await sleep(100);
    }
    // Every acknowledged event is in a recorded batch of every job before the kill.
    const recorded = async () => ((await s.requestOk<{ jobs: JobView[] }>("GET", "/v1/jobs")).jobs).every((j) => j.progress?.eventsProcessed === acknowledged.length);
    for (const deadline = Date.now() + 60_000; !(await recorded()) && Date.now() < deadline; ) await sleep(200);
    expect(await recorded()).toBe(true);

    await s.kill("SIGKILL");
    await s.launch("listening");
    // Ingest is acknowledged at once...
    const duringRecovery = corpus.slice(3000, 3100);
    const ingested = await s.request("POST", "/v1/streams/tweets/events", duringRecovery, { "idempotency-key": randomUUID() });
    expect(ingested.status).toBe(202);
    acknowledged.push(...duringRecovery);
    // ...while jobs are still being rebuilt: a state query says so, and so does /readyz.
    const answers = await Promise.all(jobIds.map((id) => s.request<{ error?: { code: string; message: string } }>("GET", `/v1/jobs/${id}/state?key=the`)));
    const recovering = answers.filter((a) => a.status === 409 && /being recovered after a restart/.test(a.body.error?.message ?? ""));
    expect(recovering.length, JSON.stringify(answers.map((a) => a.status))).toBeGreaterThan(0);
    const readiness = await s.request<{ status: string; recovery: { claimed: number; recovering: number; allBack: boolean } }>("GET", "/readyz");
    expect(readiness.status).toBe(200);
    expect(readiness.body.recovery.claimed).toBe(JOBS);

    // Every job comes back...
    const allBack = async () => (await s.request<{ recovery: { allBack: boolean } }>("GET", "/readyz")).body.recovery.allBack;
    for (const deadline = Date.now() + 120_000; !(await allBack()) && Date.now() < deadline; ) await sleep(200);
    expect(await allBack()).toBe(true);
    const after = corpus.slice(3100, 3200);
    await ingest(s, after);
    acknowledged.push(...after);

    // ...and has processed every acknowledged event exactly once.
    for (const deadline = Date.now() + 60_000; !(await recorded()) && Date.now() < deadline; ) await sleep(200);
    const { jobs } = await s.requestOk<{ jobs: JobView[] }>("GET", "/v1/jobs");
    expect(jobs.map((j) => [j.id, j.progress?.eventsProcessed])).toEqual(jobs.map((j) => [j.id, acknowledged.length]));
    const expected = countWords(acknowledged);
    const common = [...expected].sort((a, b) => b[1] - a[1]).slice(0, 3);
    for (const id of jobIds) {
      for (const [word, count] of common) {
        const state = await s.requestOk<{ found: boolean; state: { count?: number } | null }>("GET", `/v1/jobs/${id}/state?key=${encodeURIComponent(word)}`);
        expect([id, word, JSON.stringify(state.state)]).toEqual([id, word, expect.stringContaining(`"count":${count}`)]);
      }
      const { frames } = await s.requestOk<{ frames: { seq: number; batchTime: number }[] }>("GET", `/v1/jobs/${id}/results?from=1&limit=1000`);
      expect(frames.map((f) => f.seq)).toEqual(frames.map((_, i) => i + 1));
      expect(frames.every((f, i) => i === 0 || f.batchTime > frames[i - 1]!.batchTime)).toBe(true);
    }
  }, 300_000);
});
