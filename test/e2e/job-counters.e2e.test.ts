/**
 * A job's progress counters are totals of its life: a real server process on the embedded store is
 * SIGKILLed after its jobs checkpointed and ran more batches, restarted, and fed more events. Then
 * eventsProcessed, rowErrors and lateEvents equal a count of what was ingested, and batchesProcessed
 * equals the number of result frames (every batch of these jobs emits one), for a keyed job, a job
 * without a keyed step and an event-time window job. Batches replayed since the checkpoint count once.
 */
import { afterAll, describe, expect, it } from "vitest";
import { ServerProcess } from "../support/server-process.js";

type Row = Record<string, unknown>;

interface Progress {
  lastBatch: { batchTime: number } | null;
  batchesProcessed: number;
  eventsProcessed: number;
  pendingBatches: number;
  lastSeq: number;
  rowErrors: { count: number; last: string | null };
  lateEvents: number;
  lastCheckpoint: { batchTime: number } | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const BATCH_MS = 200;
/** A busy machine can hold a batch back for long; the tests wait on what the server reports. */
const PATIENCE_MS = 60_000;

/** Two jobs on the same orders; a filter on `amount` fails (a row error) on an order without one. */
const JOBS: Row[] = [
  {
    name: "orders-per-user",
    input: "orders",
    batchInterval: `${BATCH_MS}ms`,
    steps: [{ op: "filter", where: "amount > 10" }, { op: "keyBy", key: "user" }, { op: "runningAggregate", aggs: { orders: { fn: "count" } } }],
  },
  { name: "big-orders", input: "orders", batchInterval: `${BATCH_MS}ms`, steps: [{ op: "filter", where: "amount > 10" }] },
  {
    name: "readings-per-second",
    input: "readings",
    batchInterval: `${BATCH_MS}ms`,
    steps: [{ op: "keyBy", key: "sensor" }, { op: "eventWindow", time: "ts", length: "1s", lateness: "0s", emit: "final", aggs: { n: { fn: "count" } } }],
  },
];

/** What the test ingested per job, counted as it went: the totals every job must report. */
class Expected {
  readonly events = new Map<string, number>();
  readonly rowErrors = new Map<string, number>();
  readonly lateEvents = new Map<string, number>();

  add(jobs: readonly string[], events: number, rowErrors = 0, lateEvents = 0): void {
    for (const job of jobs) {
      this.events.set(job, (this.events.get(job) ?? 0) + events);
      this.rowErrors.set(job, (this.rowErrors.get(job) ?? 0) + rowErrors);
      this.lateEvents.set(job, (this.lateEvents.get(job) ?? 0) + lateEvents);
    }
  }
}

let server: ServerProcess | undefined;
afterAll(async () => {
  await server?.dispose();
});

describe("job counters across a restart", () => {
  it("continue from the checkpoint after SIGKILL: totals equal what was ingested, each batch counted once", async () => {
    server = await ServerProcess.start({ WORKERS: "1", CHECKPOINT_INTERVAL_MS: "1000" });
    const s = server;
    const orderJobs = ["orders-per-user", "big-orders"];
    const expected = new Expected();
    let order = 0;

    const progress = async (job: string): Promise<Progress> => (await s.requestOk<{ progress: Progress }>("GET", `/v1/jobs/${job}`)).progress;

    /** Every job's progress once it has finished a batch of batch time > `time` (and so every batch before). */
    const doneAfter = async (time: number): Promise<Map<string, Progress>> => {
      const deadline = Date.now() + PATIENCE_MS;
      const seen = new Map<string, Progress>();
      for (const job of JOBS.map((j) => String(j.name))) {
        for (;;) {
          const p = await progress(job);
          if (p.lastBatch !== null && p.lastBatch.batchTime > time) {
            seen.set(job, p);
            break;
          }
          if (Date.now() > deadline) throw new Error(`job ${job} finished no batch after ${time}: ${JSON.stringify(p)}`);
          await sleep(50);
        }
      }
      return seen;
    };
    /** Every job's progress once all it was sent so far is counted: a batch cut after now is done. */
    const settled = () => doneAfter(Date.now());

    /** `valid` orders with an amount, and `broken` ones without: each broken one is a row error of both order jobs. */
    const ingestOrders = async (valid: number, broken: number): Promise<void> => {
      const events: Row[] = [];
      for (let i = 0; i < valid; i++, order++) events.push({ user: `u${order % 5}`, amount: order % 30 });
      for (let i = 0; i < broken; i++, order++) events.push({ user: `u${order % 5}`, note: "no amount" });
      const res = await s.request<{ accepted: number }>("POST", "/v1/streams/orders/events", events);
      expect(res.status).toBe(202);
      expect(res.body.accepted).toBe(valid + broken);
      expected.add(orderJobs, valid + broken, broken);
    };

    /** Readings at `ts`; `late`: their windows closed before they arrived (a later batch moved the watermark past them). */
    const ingestReadings = async (ts: number, count: number, late: boolean): Promise<void> => {
      const events = Array.from({ length: count }, (_, i) => ({ sensor: `s${i % 3}`, ts }));
      expect((await s.request("POST", "/v1/streams/readings/events", events)).status).toBe(202);
      expected.add(["readings-per-second"], count, 0, late ? count : 0);
    };

    const checkTotals = (seen: Map<string, Progress>): void => {
      for (const [job, p] of seen) {
        expect({ job, events: p.eventsProcessed, rowErrors: p.rowErrors.count, lateEvents: p.lateEvents }).toEqual({
          job,
          events: expected.events.get(job),
          rowErrors: expected.rowErrors.get(job),
          lateEvents: expected.lateEvents.get(job),
        });
      }
    };

    /**
     * Every batch of the order jobs emits a frame (frames continue across a restart with no gap and
     * no duplicate), so the seq of the last frame counts their batches.
     */
    const checkBatches = (seen: Map<string, Progress>): void => {
      for (const job of orderJobs) {
        const p = seen.get(job)!;
        expect({ job, batches: p.batchesProcessed }).toEqual({ job, batches: p.lastSeq });
      }
    };

    expect((await s.request("POST", "/v1/streams", { name: "orders", partitions: 2, keyField: "user" })).status).toBe(201);
    expect((await s.request("POST", "/v1/streams", { name: "readings", partitions: 1, eventTimeField: "ts" })).status).toBe(201);
    for (const job of JOBS) expect((await s.request("POST", "/v1/jobs", job)).status).toBe(201);

    // Before the crash: events, row errors and late events both before and after a checkpoint.
    const base = Math.floor(Date.now() / 1000) * 1000 - 600_000;
    await ingestOrders(40, 3);
    await ingestReadings(base, 6, false);
    await settled();
    await ingestReadings(base + 60_000, 1, false); // moves the watermark a minute past `base`
    await settled();
    await ingestReadings(base, 4, true);
    checkTotals(await settled());
    // Every job checkpoints after having counted all of that (a checkpoint is due every 1 s of batch
    // time, and a batch starts only once the one before it, with its checkpoint, is done)...
    const counted = Date.now();
    await doneAfter(counted + 1_000 + 2 * BATCH_MS);
    // ...and counts more, which only the batches recorded since the last checkpoint hold: when a
    // checkpoint caught them before the crash, some more are sent.
    let beforeCrash: Map<string, Progress>;
    for (let attempt = 1; ; attempt++) {
      const sent = Date.now();
      await ingestOrders(12, 2);
      await ingestReadings(base, 2, true);
      beforeCrash = await settled();
      if ([...beforeCrash.values()].every((p) => (p.lastCheckpoint?.batchTime ?? 0) < sent) || attempt === 10) break;
    }
    checkTotals(beforeCrash);
    checkBatches(beforeCrash);

    await s.restart();

    // After the restart the totals go on from where they were, and go on counting.
    const restarted = await settled();
    checkTotals(restarted);
    checkBatches(restarted);
    await ingestOrders(30, 4);
    await ingestReadings(base, 3, true);
    await ingestReadings(base + 120_000, 5, false);
    const after = await settled();
    checkTotals(after);
    checkBatches(after);
    // The crash came after a checkpoint of every job, the job without a keyed step included.
    for (const [job, p] of beforeCrash) expect({ job, checkpointedAfterCount: (p.lastCheckpoint?.batchTime ?? 0) > counted }).toEqual({ job, checkpointedAfterCount: true });
  }, 240_000);
});
