/**
 * The result follower publishes the frames of a job computed elsewhere (here: appended straight to the
 * real in-memory result log, as another node's batch loop would) into this node's subscriptions: one
 * bounds call per followed job per poll, a read only when the newest seq moved, nothing while the job
 * has no subscriber here, and subscribers ended when the job is deleted or fails.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ManualClock } from "../../../src/engine/clock.js";
import { CATALOG_CHECK_POLLS, FOLLOW_INTERVAL_MS, ResultFollower } from "../../../src/engine/result-follower.js";
import { Subscriptions } from "../../../src/engine/subscriptions.js";
import { openMemoryStore } from "../../../src/store/memory/open-memory-store.js";
import type { JobRecord, ResultFrame, ResultLog, Store } from "../../../src/store/types.js";

function frame(seq: number): ResultFrame {
  return { seq, batchTime: seq * 1000, rows: [{ n: seq }] };
}

function recorder() {
  const seqs: number[] = [];
  const ended: string[] = [];
  return { seqs, ended, subscriber: { frame: (f: ResultFrame) => seqs.push(f.seq), end: (reason: string) => ended.push(reason) } };
}

/** The real log, counting the calls made to it per job. */
function countedCalls(results: ResultLog) {
  const calls = { bounds: new Map<string, number>(), read: new Map<string, number>() };
  const bump = (counts: Map<string, number>, jobId: string) => counts.set(jobId, (counts.get(jobId) ?? 0) + 1);
  const log: ResultLog = {
    append: (jobId, f) => results.append(jobId, f),
    drop: (jobId) => results.drop(jobId),
    bounds: (jobId) => (bump(calls.bounds, jobId), results.bounds(jobId)),
    read: (jobId, from, limit) => (bump(calls.read, jobId), results.read(jobId, from, limit)),
  };
  return { log, calls };
}

/** Generous, for a busy machine: each wait ends as soon as what it waits for holds. */
const WAIT = { timeout: 10_000 };

let store: Store;
let clock: ManualClock;
let follower: ResultFollower | undefined;
beforeEach(() => {
  store = openMemoryStore();
  clock = new ManualClock(0);
});
afterEach(async () => {
  follower?.stop();
  await store.close();
});

async function catalogue(id: string): Promise<JobRecord> {
  const record: JobRecord = { id, definition: {}, status: "running", createdAt: 5, startOffsets: {} };
  await store.catalog.createJob(record);
  return record;
}

async function appendUpTo(jobId: string, last: number): Promise<void> {
  for (let seq = (await store.results.bounds(jobId)).last + 1; seq <= last; seq++) await store.results.append(jobId, frame(seq));
}

/** Polls once and waits until the poll is over (its bounds calls answered, its reads published). */
async function poll(calls: { bounds: Map<string, number> }, jobId: string): Promise<void> {
  const before = calls.bounds.get(jobId) ?? 0;
  clock.advance(FOLLOW_INTERVAL_MS);
  await vi.waitFor(() => expect(calls.bounds.get(jobId) ?? 0).toBe(before + 1), WAIT);
  await new Promise((resolve) => setTimeout(resolve, 5));
}

/** Lets the follower poll again and again until `done` holds (it reads the catalogue every CATALOG_CHECK_POLLS). */
async function pollUntil(done: () => boolean): Promise<void> {
  await vi.waitFor(() => {
    clock.advance(FOLLOW_INTERVAL_MS);
    expect(done()).toBe(true);
  }, { timeout: 10_000, interval: 10 });
}

/** Subscribes and follows, as the engine does. */
async function subscribe(subscriptions: Subscriptions, record: JobRecord, from?: number) {
  const subscriber = recorder();
  const subscription = await subscriptions.subscribe(record.id, from, subscriber.subscriber);
  follower!.follow(record.id, subscription.lastSeq, record);
  return { ...subscriber, subscription };
}

describe("a followed job", () => {
  it("reaches its subscribers from the result log alone, in order, each frame once", async () => {
    const { log, calls } = countedCalls(store.results);
    const subscriptions = new Subscriptions(log, clock);
    follower = new ResultFollower({ results: log, catalog: store.catalog, subscriptions, clock });
    const job = await catalogue("clicks");
    await appendUpTo("clicks", 2);
    const live = await subscribe(subscriptions, job);
    const resumed = await subscribe(subscriptions, job, 1);
    await appendUpTo("clicks", 5);
    await poll(calls, "clicks");
    await vi.waitFor(() => expect(resumed.seqs).toEqual([1, 2, 3, 4, 5]), WAIT);
    expect(live.seqs).toEqual([3, 4, 5]);
    await appendUpTo("clicks", 7);
    subscriptions.publish("clicks", frame(6)); // also computed here: not doubled
    await poll(calls, "clicks");
    await vi.waitFor(() => expect(resumed.seqs).toEqual([1, 2, 3, 4, 5, 6, 7]), WAIT);
    expect(live.seqs).toEqual([3, 4, 5, 6, 7]);
  });

  it("costs one bounds call per job per poll, and reads only when the newest seq moved", async () => {
    const { log, calls } = countedCalls(store.results);
    const subscriptions = new Subscriptions(log, clock);
    follower = new ResultFollower({ results: log, catalog: store.catalog, subscriptions, clock });
    const clicks = await catalogue("clicks");
    const views = await catalogue("views");
    await subscribe(subscriptions, clicks);
    await subscribe(subscriptions, clicks);
    await subscribe(subscriptions, views);
    const readsBefore = calls.read.get("clicks") ?? 0;
    for (let i = 0; i < 3; i++) await poll(calls, "clicks");
    expect(calls.bounds.get("clicks")).toBe(1 + 1 + 3); // one per subscribe, one per poll
    expect(calls.bounds.get("views")).toBe(1 + 3);
    expect(calls.read.get("clicks") ?? 0).toBe(readsBefore);
    await appendUpTo("clicks", 3);
    await poll(calls, "clicks");
    await vi.waitFor(() => expect(calls.read.get("clicks")).toBe(readsBefore + 1), WAIT);
    await poll(calls, "clicks");
    expect(calls.read.get("clicks")).toBe(readsBefore + 1);
  });

  it("is not read at all when the frames were already delivered here", async () => {
    const { log, calls } = countedCalls(store.results);
    const subscriptions = new Subscriptions(log, clock);
    follower = new ResultFollower({ results: log, catalog: store.catalog, subscriptions, clock });
    const job = await catalogue("clicks");
    const live = await subscribe(subscriptions, job);
    await appendUpTo("clicks", 2);
    for (const seq of [1, 2]) subscriptions.publish("clicks", frame(seq));
    await poll(calls, "clicks");
    expect(live.seqs).toEqual([1, 2]);
    expect(calls.read.get("clicks") ?? 0).toBe(0);
  });

  it("is not polled when it runs on this node", async () => {
    const { log, calls } = countedCalls(store.results);
    const subscriptions = new Subscriptions(log, clock);
    follower = new ResultFollower({ results: log, catalog: store.catalog, subscriptions, clock, isLocal: (id) => id === "clicks" });
    const clicks = await catalogue("clicks");
    await subscribe(subscriptions, clicks);
    await subscribe(subscriptions, await catalogue("views"));
    for (let i = 0; i < 3; i++) await poll(calls, "views");
    expect(calls.bounds.get("clicks")).toBe(1); // the subscribe's own
  });

  it("stops polling once the job has no subscriber here", async () => {
    const { log, calls } = countedCalls(store.results);
    const subscriptions = new Subscriptions(log, clock);
    follower = new ResultFollower({ results: log, catalog: store.catalog, subscriptions, clock });
    const { subscription } = await subscribe(subscriptions, await catalogue("clicks"));
    await poll(calls, "clicks");
    subscription.close();
    clock.advance(FOLLOW_INTERVAL_MS); // the poll that notices
    await vi.waitFor(() => expect(follower!.size).toBe(0), WAIT);
    const polled = calls.bounds.get("clicks");
    for (let i = 0; i < 5; i++) clock.advance(FOLLOW_INTERVAL_MS);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls.bounds.get("clicks")).toBe(polled);
  });
});

describe("a followed job that goes away", () => {
  it("ends its subscribers with 'job deleted' when it leaves the catalogue", async () => {
    const subscriptions = new Subscriptions(store.results, clock);
    follower = new ResultFollower({ results: store.results, catalog: store.catalog, subscriptions, clock });
    const job = await catalogue("clicks");
    await appendUpTo("clicks", 2);
    const live = await subscribe(subscriptions, job, 1);
    await Promise.all([store.results.drop("clicks"), store.catalog.deleteJob("clicks")]);
    clock.advance(FOLLOW_INTERVAL_MS); // the log went back: the catalogue is read at once
    await vi.waitFor(() => expect(live.ended).toEqual(["job deleted"]), WAIT);
    expect(live.seqs).toEqual([1, 2]);
    expect(subscriptions.count("clicks")).toBe(0);
  });

  it("ends them with 'job deleted' when a new job of the same id replaced it", async () => {
    const subscriptions = new Subscriptions(store.results, clock);
    follower = new ResultFollower({ results: store.results, catalog: store.catalog, subscriptions, clock });
    const live = await subscribe(subscriptions, await catalogue("clicks"));
    await store.catalog.putJob({ id: "clicks", definition: {}, status: "running", createdAt: 99, startOffsets: {} });
    await pollUntil(() => live.ended.length > 0);
    expect(live.ended).toEqual(["job deleted"]);
  });

  it("ends them with the failure once the job has failed, after its last frames", async () => {
    const subscriptions = new Subscriptions(store.results, clock);
    follower = new ResultFollower({ results: store.results, catalog: store.catalog, subscriptions, clock });
    const job = await catalogue("clicks");
    const live = await subscribe(subscriptions, job);
    await appendUpTo("clicks", 3);
    await store.catalog.putJob({ ...job, status: "failed", failure: "expression over its budget" });
    await pollUntil(() => live.ended.length > 0);
    expect(live.ended).toEqual(["job failed: expression over its budget"]);
    expect(live.seqs).toEqual([1, 2, 3]);
  });

  it("keeps a subscriber to a job that had already failed when it subscribed", async () => {
    const { log, calls } = countedCalls(store.results);
    const subscriptions = new Subscriptions(log, clock);
    follower = new ResultFollower({ results: log, catalog: store.catalog, subscriptions, clock });
    const job = await catalogue("clicks");
    await store.catalog.putJob({ ...job, status: "failed", failure: "boom" });
    const live = await subscribe(subscriptions, { ...job, status: "failed" });
    for (let i = 0; i < CATALOG_CHECK_POLLS + 1; i++) await poll(calls, "clicks");
    expect(live.ended).toEqual([]);
  });
});

describe("a job deleted here and made again under the same id", () => {
  it("is followed afresh: its new subscribers get its frames and are not ended as the old job's were", async () => {
    const { log, calls } = countedCalls(store.results);
    const subscriptions = new Subscriptions(log, clock);
    follower = new ResultFollower({ results: log, catalog: store.catalog, subscriptions, clock, catalogEvery: 1 });
    const old = await catalogue("clicks");
    await appendUpTo("clicks", 4);
    const first = await subscribe(subscriptions, old);
    // Deleted on this node (which ends its subscribers at once), then registered again.
    await Promise.all([store.results.drop("clicks"), store.catalog.deleteJob("clicks")]);
    subscriptions.end("clicks", "job deleted");
    const renewed: JobRecord = { ...old, createdAt: 6 };
    await store.catalog.putJob(renewed);
    const second = await subscribe(subscriptions, renewed);
    await appendUpTo("clicks", 2);
    for (let i = 0; i < 3; i++) await poll(calls, "clicks");
    await vi.waitFor(() => expect(second.seqs).toEqual([1, 2]), WAIT);
    expect(second.ended).toEqual([]);
    expect(first.ended).toEqual(["job deleted"]);
  });
});
