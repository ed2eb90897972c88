/**
 * The Nexmark part of the benchmark: the generator makes the reference's events the same way every
 * time; each query's Tributary jobs, run by the real engine, give the rows of the plain recomputation;
 * and a wrong answer is reported.
 */
import { describe, expect, it } from "vitest";
import { answerDifference } from "../../bench/nexmark/answers.js";
import { runNexmarkEngine } from "../../bench/nexmark/engine-run.js";
import { AUCTION, BID, DEFAULT_BASE_TIME, NexmarkGenerator, PERSON, US_STATES, type Auction, type Bid, type NexmarkEvent, type Person } from "../../bench/nexmark/generator.js";
import { checkAnswer, eventSource } from "../../bench/nexmark/measure.js";
import { QUERIES } from "../../bench/nexmark/queries.js";
import { referenceAnswer } from "../../bench/nexmark/reference.js";

const kinds = (events: readonly NexmarkEvent[]) => ({
  persons: events.flatMap((e) => (e.event_type === PERSON ? [e.person] : [])) as Person[],
  auctions: events.flatMap((e) => (e.event_type === AUCTION ? [e.auction] : [])) as Auction[],
  bids: events.flatMap((e) => (e.event_type === BID ? [e.bid] : [])) as Bid[],
});

describe("Nexmark generator", () => {
  it("makes the same events for the same seed, any range on its own, and other events for another seed", () => {
    const a = new NexmarkGenerator({ seed: 3, eventsPerSecond: 1000 });
    const b = new NexmarkGenerator({ seed: 3, eventsPerSecond: 1000 });
    const events = a.events(0, 600);
    expect(b.events(0, 600)).toEqual(events);
    expect(b.events(250, 600)).toEqual(events.slice(250));
    expect(new NexmarkGenerator({ seed: 4, eventsPerSecond: 1000 }).events(0, 600)).not.toEqual(events);
  });

  it("has the reference's proportions, ids, times and field ranges, and its hot auctions and bidders", () => {
    const rate = 2000;
    const events = new NexmarkGenerator({ eventsPerSecond: rate }).events(0, 10_000);
    const { persons, auctions, bids } = kinds(events);
    // 1 person, 3 auctions and 46 bids in every 50 events, in that order.
    expect([persons.length, auctions.length, bids.length]).toEqual([200, 600, 9200]);
    expect(events.slice(0, 50).map((e) => e.event_type)).toEqual([0, 1, 1, 1, ...Array<number>(46).fill(2)]);
    expect(persons.map((p) => p.id)).toEqual(persons.map((_, i) => 1000 + i));
    expect(auctions.map((a) => a.id)).toEqual(auctions.map((_, i) => 1000 + i));
    events.forEach((e, n) => expect(e.dateTime).toBe(DEFAULT_BASE_TIME + Math.floor((n * 1000) / rate)));
    for (const p of persons) {
      expect(US_STATES).toContain(p.state);
      expect(p.creditCard).toMatch(/^\d{4} \d{4} \d{4} \d{4}$/);
      expect(p.emailAddress).toMatch(/^.+@.+\.com$/);
    }
    for (const a of auctions) {
      expect(a.category).toBeGreaterThanOrEqual(10);
      expect(a.category).toBeLessThanOrEqual(14);
      expect(a.reserve).toBeGreaterThan(a.initialBid);
      expect(a.expires).toBeGreaterThan(a.dateTime);
      expect(a.seller).toBeGreaterThanOrEqual(1000);
      expect(a.seller).toBeLessThanOrEqual(1000 + persons.length + 10);
    }
    for (const b of bids) {
      expect(b.price).toBeGreaterThanOrEqual(100);
      expect(b.price).toBeLessThanOrEqual(100_000_000);
      expect(b.auction).toBeLessThanOrEqual(1000 + auctions.length + 10);
      expect(b.channel.length).toBeGreaterThan(0);
      expect(b.url).toMatch(/^https:\/\/www\.nexmark\.com\//);
    }
    // Extra text brings each kind to about its reference size (200, 500, 100 bytes), within ±20%.
    const bidBytes = bids.reduce((n, b) => n + 32 + b.extra.length, 0) / bids.length;
    expect(bidBytes).toBeGreaterThan(90);
    expect(bidBytes).toBeLessThan(110);
    // Hot auctions (the first of each 100) get about half the bids; hot bidders (the second of each
    // 100 people) about three in four; plus the rest that land on them by chance.
    const share = (n: number) => n / bids.length;
    expect(share(bids.filter((b) => (b.auction - 1000) % 100 === 0).length)).toBeGreaterThan(0.45);
    expect(share(bids.filter((b) => (b.bidder - 1000) % 100 === 1).length)).toBeGreaterThan(0.7);
    expect(auctions.filter((a) => (a.seller - 1000) % 100 === 0).length / auctions.length).toBeGreaterThan(0.7);
  });
});

describe("Nexmark queries on the engine", () => {
  const perBatch = 1000;
  // Windowed queries: one second of event time a batch, so that 10 s windows close within the run.
  const events = new NexmarkGenerator({ seed: 5, eventsPerSecond: perBatch }).events(0, 15 * perBatch);
  const source = eventSource(events, perBatch);
  // The others: ten events a millisecond, as in the bench, so that some bids share their time with
  // the auction they come before (q4 counts them).
  const dense = new NexmarkGenerator({ seed: 5, eventsPerSecond: 10 * perBatch }).events(0, 12 * perBatch);
  const denseSource = eventSource(dense, perBatch);
  const inputOf = (query: string) => (["q5", "q7", "q8"].includes(query) ? { events, source } : { events: dense, source: denseSource });

  it.each(QUERIES)("%s: the Tributary jobs give the rows of the plain recomputation", async (query) => {
    const { events, source } = inputOf(query);
    const expected = referenceAnswer(query, events);
    expect(expected.length, "the input is large enough for the query to have an answer").toBeGreaterThan(0);
    const run = await runNexmarkEngine(query, source, { runner: "in-thread", partitions: 2 });
    expect(run.rowErrors, run.lastRowError ?? "").toBe(0);
    expect(answerDifference(expected, run.rows)).toBeUndefined();
  });

  it("q7 takes a bid at exactly a window's end as a candidate of that window but not as its highest price", async () => {
    const t0 = DEFAULT_BASE_TIME;
    const bid = (price: number, at: number, bidder: number): NexmarkEvent => ({ event_type: BID, bid: { auction: 1000, bidder, price, channel: "Google", url: "u", dateTime: t0 + at, extra: "" }, dateTime: t0 + at });
    // Window [0, 10 s): highest price 9. The bids at exactly 10 s are in its BETWEEN range: the one at
    // 9 is one of its rows, the one at 20 is not its highest price but is that of the next window.
    const handMade = [bid(5, 1000, 1), bid(9, 2000, 2), bid(9, 10_000, 3), bid(20, 10_000, 4), bid(3, 15_000, 5)];
    const expected = referenceAnswer("q7", handMade);
    expect(expected.map((r) => r.bidder)).toEqual([2, 3, 4]);
    const run = await runNexmarkEngine("q7", eventSource(handMade, 1), { runner: "in-thread", partitions: 2 });
    expect(answerDifference(expected, run.rows)).toBeUndefined();
  });

  it("the answer check finds a changed, a missing and an extra row", async () => {
    const run = await runNexmarkEngine("q2", denseSource, { runner: "in-thread", partitions: 2 });
    const expected = referenceAnswer("q2", dense);
    expect(answerDifference(expected, run.rows)).toBeUndefined();
    const changed = run.rows.map((r, i) => (i === 0 ? { ...r, price: Number(r.price) + 1 } : r));
    expect(answerDifference(expected, changed)).toMatch(/missing 1 of .*"price"/);
    expect(answerDifference(expected, run.rows.slice(1))).toMatch(new RegExp(`expected ${expected.length} rows, got ${expected.length - 1}; missing`));
    expect(answerDifference(expected, [...run.rows, run.rows[0]!])).toMatch(/1 unexpected/);
    // In the bench, a difference is a failed answer check: a failure of the run.
    const failures: string[] = [];
    expect(checkAnswer("q2", expected, run.rows, failures)).toBe("checked");
    expect(failures).toEqual([]);
    expect(checkAnswer("q2", expected, changed, failures)).toMatch(/^wrong: expected \d+ rows/);
    expect(failures).toEqual([expect.stringMatching(/^nexmark q2: the engine disagrees with the plain recomputation: /)]);
  });
});
