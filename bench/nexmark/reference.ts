/**
 * Each query's answer worked out in plain JavaScript over the same events, in the order they were
 * generated, following the reference SQL (nexmark/nexmark, nexmark-flink/src/main/resources/queries)
 * as closely as the Tributary job follows it (see queries.ts and docs/benchmarks.md). Windowed
 * queries give the windows that the last event has closed (q5, q8: window end <= largest event time
 * seen, as the engine's watermark with no lateness), or every window (q7, which the job emits once
 * its window has seen no bid for a batch interval, and so every window once the input ends).
 */
import type { Row } from "../corpus.js";
import { AUCTION, BID, PERSON, type Auction, type Bid, type NexmarkEvent, type Person } from "./generator.js";
import type { QueryName } from "./queries.js";

const TEN_S = 10_000;

/** The largest event time among `events` (a loop: spreading 10^5 arguments overflows the stack). */
function latest(events: readonly { dateTime: number }[]): number {
  let t = -Infinity;
  for (const e of events) if (e.dateTime > t) t = e.dateTime;
  return t;
}

export function referenceAnswer(query: QueryName, events: readonly NexmarkEvent[]): Row[] {
  const bids: Bid[] = [];
  const auctions: Auction[] = [];
  const persons: Person[] = [];
  for (const e of events) {
    if (e.event_type === BID) bids.push(e.bid);
    else if (e.event_type === AUCTION) auctions.push(e.auction);
    else if (e.event_type === PERSON) persons.push(e.person);
  }
  switch (query) {
    case "q0":
      return bids.map((b) => ({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra }));
    case "q1":
      return bids.map((b) => ({ auction: b.auction, bidder: b.bidder, price: 0.908 * b.price, dateTime: b.dateTime, extra: b.extra }));
    case "q2":
      return bids.filter((b) => b.auction % 123 === 0).map((b) => ({ auction: b.auction, price: b.price }));
    case "q3":
      return q3(persons, auctions);
    case "q4":
      return q4(events);
    case "q5":
      return q5(bids);
    case "q7":
      return q7(bids);
    case "q8":
      return q8(persons, auctions);
  }
}

/** SELECT P.name, P.city, P.state, A.id FROM auction A JOIN person P ON A.seller = P.id WHERE A.category = 10 AND P.state IN ('OR', 'ID', 'CA') */
function q3(persons: readonly Person[], auctions: readonly Auction[]): Row[] {
  const sellers = new Map(persons.filter((p) => p.state === "OR" || p.state === "ID" || p.state === "CA").map((p) => [p.id, p]));
  const rows: Row[] = [];
  for (const a of auctions) {
    const p = a.category === 10 ? sellers.get(a.seller) : undefined;
    if (p) rows.push({ name: p.name, city: p.city, state: p.state, id: a.id });
  }
  return rows;
}

/**
 * Per category, the average (truncated to an integer, as Flink's AVG of a BIGINT) over auctions of
 * the highest price among the auction's bids whose time is within [auction.dateTime, expires];
 * auctions with no such bid are left out (the inner join has no row for them).
 */
function q4(events: readonly NexmarkEvent[]): Row[] {
  const auctions = new Map<number, Auction>();
  for (const e of events) if (e.event_type === AUCTION) auctions.set(e.auction.id, e.auction);
  const best = new Map<number, number>();
  for (const e of events) {
    if (e.event_type !== BID) continue;
    const a = auctions.get(e.bid.auction);
    if (!a || e.bid.dateTime < a.dateTime || e.bid.dateTime > a.expires) continue;
    best.set(a.id, Math.max(best.get(a.id) ?? -Infinity, e.bid.price));
  }
  const byCategory = new Map<number, { total: number; n: number }>();
  for (const [id, price] of best) {
    const c = auctions.get(id)!.category;
    const sum = byCategory.get(c) ?? { total: 0, n: 0 };
    sum.total += price;
    sum.n += 1;
    byCategory.set(c, sum);
  }
  return [...byCategory].map(([id, { total, n }]) => ({ id, final: Math.trunc(total / n) }));
}

/** Bids per auction in 10 s windows sliding by 2 s; per window, the auctions with the most. */
function q5(bids: readonly Bid[]): Row[] {
  const watermark = latest(bids);
  const windows = new Map<number, Map<number, number>>();
  for (const b of bids) {
    for (let start = b.dateTime - (b.dateTime % 2000); start > b.dateTime - TEN_S; start -= 2000) {
      if (start + TEN_S > watermark) continue;
      const counts = windows.get(start) ?? new Map<number, number>();
      counts.set(b.auction, (counts.get(b.auction) ?? 0) + 1);
      windows.set(start, counts);
    }
  }
  const rows: Row[] = [];
  for (const counts of windows.values()) {
    const max = Math.max(...counts.values());
    for (const [auction, num] of counts) if (num >= max) rows.push({ auction, num });
  }
  return rows;
}

/** The bids whose price is the highest of a 10 s tumbling window and whose time is within [end - 10 s, end]. */
function q7(bids: readonly Bid[]): Row[] {
  const maxByEnd = new Map<number, number>();
  for (const b of bids) {
    const end = b.dateTime - (b.dateTime % TEN_S) + TEN_S;
    maxByEnd.set(end, Math.max(maxByEnd.get(end) ?? -Infinity, b.price));
  }
  const rows: Row[] = [];
  for (const [end, max] of maxByEnd) {
    for (const b of bids) {
      if (b.price === max && b.dateTime >= end - TEN_S && b.dateTime <= end) rows.push({ auction: b.auction, price: b.price, bidder: b.bidder, dateTime: b.dateTime, extra: b.extra });
    }
  }
  return rows;
}

/** People who created an auction in the same 10 s tumbling window as they joined. */
function q8(persons: readonly Person[], auctions: readonly Auction[]): Row[] {
  const watermark = Math.max(latest(persons), latest(auctions));
  const window = (t: number) => t - (t % TEN_S);
  const sellers = new Set(auctions.map((a) => `${a.seller}@${window(a.dateTime)}`));
  return persons
    .filter((p) => window(p.dateTime) + TEN_S <= watermark && sellers.has(`${p.id}@${window(p.dateTime)}`))
    .map((p) => ({ id: p.id, name: p.name, stime: window(p.dateTime) }));
}
