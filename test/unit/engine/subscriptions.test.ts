/**
 * Subscriptions deliver each subscriber's frames strictly in seq order, with no gap and no duplicate,
 * whatever order they are published in: a published frame past the next expected seq makes the
 * subscription read the missing ones from the result log (the real in-memory one) first.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ManualClock } from "../../../src/engine/clock.js";
import { RETRY_MS } from "../../../src/engine/ordered-delivery.js";
import { Subscriptions } from "../../../src/engine/subscriptions.js";
import { openMemoryStore } from "../../../src/store/memory/open-memory-store.js";
import type { ResultFrame, ResultLog, Store } from "../../../src/store/types.js";

const JOB = "clicks";

function frame(seq: number): ResultFrame {
  return { seq, batchTime: seq * 1000, rows: [{ n: seq }] };
}

/** A subscriber that records what it was sent, and whether it was ended. */
function recorder() {
  const seqs: number[] = [];
  const ended: string[] = [];
  return { seqs, ended, subscriber: { frame: (f: ResultFrame) => seqs.push(f.seq), end: (reason: string) => ended.push(reason) } };
}

/** The real log, whose reads wait while `held` is set: a store that is slow to answer. */
function slowReads(results: ResultLog) {
  let release: (() => void) | undefined;
  let held: Promise<void> | undefined;
  let reads = 0;
  const log: ResultLog = {
    ...results,
    append: (jobId, f) => results.append(jobId, f),
    bounds: (jobId) => results.bounds(jobId),
    drop: (jobId) => results.drop(jobId),
    async read(jobId, from, limit) {
      reads++;
      await held;
      return results.read(jobId, from, limit);
    },
  };
  return {
    log,
    reads: () => reads,
    hold() {
      held = new Promise<void>((resolve) => (release = resolve));
    },
    release() {
      held = undefined;
      release?.();
    },
  };
}

/** Generous, for a busy machine: each wait ends as soon as what it waits for holds. */
const WAIT = { timeout: 10_000 };

let store: Store;
let clock: ManualClock;
beforeEach(() => {
  store = openMemoryStore();
  clock = new ManualClock(0);
});
afterEach(async () => {
  await store.close();
});

async function appendUpTo(last: number): Promise<void> {
  for (let seq = (await store.results.bounds(JOB)).last + 1; seq <= last; seq++) await store.results.append(JOB, frame(seq));
}

describe("frames published out of order", () => {
  it("are delivered in seq order, each once, whatever order they come in", async () => {
    const subscriptions = new Subscriptions(store.results, clock);
    const { seqs, subscriber } = recorder();
    await subscriptions.subscribe(JOB, undefined, subscriber);
    await appendUpTo(6);
    for (const seq of [3, 1, 2, 2, 6, 5, 1, 4, 6]) subscriptions.publish(JOB, frame(seq));
    await vi.waitFor(() => expect(seqs).toEqual([1, 2, 3, 4, 5, 6]), WAIT);
    subscriptions.publish(JOB, frame(5));
    await Promise.resolve();
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("reads a hole from the result log before the frame after it", async () => {
    const subscriptions = new Subscriptions(store.results, clock);
    const { seqs, subscriber } = recorder();
    await subscriptions.subscribe(JOB, undefined, subscriber);
    await appendUpTo(5);
    subscriptions.publish(JOB, frame(1));
    expect(seqs).toEqual([1]); // the next expected one goes at once
    subscriptions.publish(JOB, frame(5)); // 2..4 were never published here
    await vi.waitFor(() => expect(seqs).toEqual([1, 2, 3, 4, 5]), WAIT);
  });

  it("keeps deliveries serialized: frames published while a hole is read wait for it", async () => {
    const slow = slowReads(store.results);
    const subscriptions = new Subscriptions(slow.log, clock);
    const { seqs, subscriber } = recorder();
    await subscriptions.subscribe(JOB, undefined, subscriber);
    await appendUpTo(8);
    slow.hold();
    subscriptions.publish(JOB, frame(4));
    await vi.waitFor(() => expect(slow.reads()).toBe(1), WAIT);
    for (const seq of [5, 8, 6, 7, 1]) subscriptions.publish(JOB, frame(seq));
    await Promise.resolve();
    expect(seqs).toEqual([]); // nothing overtakes the read under way
    slow.release();
    await vi.waitFor(() => expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8]), WAIT);
    expect(slow.reads()).toBe(1); // one read filled the hole; the rest were published
  });

  it("waits for a hole the log cannot fill yet, and reads it again after RETRY_MS", async () => {
    const subscriptions = new Subscriptions(store.results, clock);
    const { seqs, subscriber } = recorder();
    await subscriptions.subscribe(JOB, undefined, subscriber);
    await appendUpTo(1);
    subscriptions.publish(JOB, frame(1));
    subscriptions.publish(JOB, frame(4)); // 2 and 3 are not in the log yet
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seqs).toEqual([1]);
    await appendUpTo(4);
    clock.advance(RETRY_MS);
    await vi.waitFor(() => expect(seqs).toEqual([1, 2, 3, 4]), WAIT);
  });

  it("hands over from history to live frames with none lost when the live ones come first", async () => {
    await appendUpTo(3);
    const slow = slowReads(store.results);
    const subscriptions = new Subscriptions(slow.log, clock);
    const { seqs, subscriber } = recorder();
    slow.hold();
    const subscribing = subscriptions.subscribe(JOB, 1, subscriber);
    await vi.waitFor(() => expect(slow.reads()).toBe(1), WAIT);
    await appendUpTo(5);
    subscriptions.publish(JOB, frame(5)); // 4 is in the log, but was never published
    slow.release();
    const subscription = await subscribing;
    expect(subscription).toMatchObject({ from: 1, lastSeq: 3, truncated: false });
    await vi.waitFor(() => expect(seqs).toEqual([1, 2, 3, 4, 5]), WAIT);
  });

  it("passes on a hole being read before it ends the subscriber", async () => {
    const slow = slowReads(store.results);
    const subscriptions = new Subscriptions(slow.log, clock);
    const { seqs, ended, subscriber } = recorder();
    await subscriptions.subscribe(JOB, undefined, subscriber);
    await appendUpTo(3);
    slow.hold();
    subscriptions.publish(JOB, frame(3));
    await vi.waitFor(() => expect(slow.reads()).toBe(1), WAIT);
    subscriptions.end(JOB, "job failed: boom");
    expect(ended).toEqual([]);
    slow.release();
    await vi.waitFor(() => expect(ended).toEqual(["job failed: boom"]), WAIT);
    expect(seqs).toEqual([1, 2, 3]);
    expect(subscriptions.count(JOB)).toBe(0);
  });
});

describe("delivered", () => {
  it("is the newest seq that every subscriber of the job has been sent", async () => {
    const subscriptions = new Subscriptions(store.results, clock);
    const live = recorder();
    const resumed = recorder();
    await subscriptions.subscribe(JOB, undefined, live.subscriber);
    await appendUpTo(4);
    for (const seq of [1, 2]) subscriptions.publish(JOB, frame(seq));
    const fromHistory = await subscriptions.subscribe(JOB, 1, resumed.subscriber);
    expect(resumed.seqs).toEqual([1, 2, 3, 4]);
    expect(subscriptions.delivered(JOB)).toBe(2);
    for (const seq of [3, 4]) subscriptions.publish(JOB, frame(seq));
    expect(subscriptions.delivered(JOB)).toBe(4);
    fromHistory.close();
    expect(subscriptions.delivered("other")).toBe(0);
  });
});

describe("frames without rows, which the log keeps only among the newest seqs", () => {
  beforeEach(async () => {
    await store.close();
    store = openMemoryStore({ resultRecentSeqs: 2 });
  });
  const empty = (seq: number): ResultFrame => ({ seq, batchTime: seq * 1000, rows: [] });
  /** Appends each frame, and publishes it too unless `published` is false. */
  async function emit(subscriptions: Subscriptions, frames: ResultFrame[], published = true): Promise<void> {
    for (const each of frames) {
      await store.results.append(JOB, each);
      if (published) subscriptions.publish(JOB, each);
    }
  }
  const seqs = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it("reach a live subscriber, every seq in order", async () => {
    const subscriptions = new Subscriptions(store.results, clock);
    const live = recorder();
    await subscriptions.subscribe(JOB, undefined, live.subscriber);
    await emit(subscriptions, [frame(1), ...seqs(2, 9).map(empty), frame(10), empty(11)]);
    await vi.waitFor(() => expect(live.seqs).toEqual(seqs(1, 11)), WAIT);
  });

  it("are skipped by a subscriber resuming from among them: the kept frames after it, then live ones, no gap and no duplicate", async () => {
    const subscriptions = new Subscriptions(store.results, clock);
    await emit(subscriptions, [frame(1), ...seqs(2, 10).map(empty), frame(11), ...seqs(12, 14).map(empty)]);
    const resumed = recorder();
    const subscription = await subscriptions.subscribe(JOB, 3, resumed.subscriber);
    // Nothing with rows was lost, so the history is not truncated: it begins at 1.
    expect(subscription).toMatchObject({ from: 3, next: 3, lastSeq: 14, truncated: false });
    expect(resumed.seqs).toEqual([11, 13, 14]);
    await emit(subscriptions, [empty(15), frame(16), empty(17)]);
    await vi.waitFor(() => expect(resumed.seqs).toEqual([11, 13, 14, 15, 16, 17]), WAIT);
    const fromStart = recorder();
    await subscriptions.subscribe(JOB, 1, fromStart.subscriber);
    expect(fromStart.seqs).toEqual([1, 11, 16, 17]);
  });

  it("do not stall delivery when they never reached this node: the hole is read from the log and passed over", async () => {
    const subscriptions = new Subscriptions(store.results, clock);
    const live = recorder();
    await subscriptions.subscribe(JOB, undefined, live.subscriber);
    await emit(subscriptions, [frame(1)]);
    await emit(subscriptions, seqs(2, 20).map(empty), false);
    await emit(subscriptions, [frame(21)]);
    // Of 2..20 the log keeps 20 only (within 2 seqs of the newest): it is read, the rest passed over.
    await vi.waitFor(() => expect(live.seqs).toEqual([1, 20, 21]), WAIT);
    await emit(subscriptions, seqs(22, 23).map(empty), false);
    await emit(subscriptions, [empty(24)]);
    await vi.waitFor(() => expect(live.seqs).toEqual([1, 20, 21, 23, 24]), WAIT);
  });
});

describe("a from past the newest seq", () => {
  it("is accepted: delivery goes on from the next seq to come, and the subscription says so", async () => {
    const subscriptions = new Subscriptions(store.results, clock);
    await appendUpTo(3);
    const { seqs, subscriber } = recorder();
    const subscription = await subscriptions.subscribe(JOB, 50, subscriber);
    expect(subscription).toMatchObject({ from: 50, next: 4, lastSeq: 3, truncated: false });
    await appendUpTo(5);
    for (const seq of [4, 5]) subscriptions.publish(JOB, frame(seq));
    await vi.waitFor(() => expect(seqs).toEqual([4, 5]), WAIT);
  });

  it("on a job with no frames yet starts at seq 1", async () => {
    const subscriptions = new Subscriptions(store.results, clock);
    const { subscriber } = recorder();
    expect(await subscriptions.subscribe(JOB, 7, subscriber)).toMatchObject({ from: 7, next: 1, lastSeq: 0 });
  });
});
