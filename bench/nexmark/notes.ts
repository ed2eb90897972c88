/**
 * What each Nexmark query asks, and every way its Tributary job (queries.ts) or the benchmark's
 * setup differs from the reference (nexmark/nexmark's Flink SQL and generator). docs/benchmarks.md
 * is written from these.
 */
import type { QueryName } from "./queries.js";

export interface QueryNote {
  readonly title: string;
  readonly job: string;
  readonly differences: readonly string[];
}

export const QUERY_NOTES: Record<QueryName, QueryNote> = {
  q0: {
    title: "Pass through: every bid's auction, bidder, price, dateTime, extra",
    job: "`filter` event_type == 2, `map` project the five columns; `output` stream `nexmark-q0-out`",
    differences: ["none in what it computes"],
  },
  q1: {
    title: "Currency conversion: each bid with its price × 0.908",
    job: "`filter`, `map` project with `price: 0.908 * bid.price`; `output` stream `nexmark-q1-out`",
    differences: ["the price is a double (CEL has no decimal type), where Flink's sink column is DECIMAL(23, 3)"],
  },
  q2: {
    title: "Selection: auction and price of the bids on auctions whose id is a multiple of 123",
    job: "`filter` event_type == 2 && bid.auction % 123 == 0, `map` project; `output` stream `nexmark-q2-out`",
    differences: ["none in what it computes"],
  },
  q3: {
    title: "Local item suggestion: name, city, state of sellers in OR, ID or CA, with the id of each of their category-10 auctions",
    job: "`filter` the category-10 auctions and the OR/ID/CA persons, `keyBy` person id (the auction's seller), `mapWithState` keeping per person the person once seen and the auctions waiting for them, emitting the matched auction ids, `flatMap` one row per pair",
    differences: [
      "Tributary has no unbounded (regular) stream-stream join: `join` pairs rows of the same batch or of a window of batches, re-emitting a window's pairs at each slide. The job builds the join from `mapWithState` instead; it emits the same pairs, each once, in the batch in which the later of its two sides arrives, and keeps every person and waiting auction for the life of the job, as Flink's join keeps both sides without a state TTL",
      "the WHERE conditions are applied before the join (same rows)",
    ],
  },
  q4: {
    title: "Average winning price per category: per category, the average over auctions of the highest bid made between the auction's start and expiry",
    job: "two jobs. Job 1: `filter` auctions and bids, `keyBy` auction id, `mapWithState` keeping the auction's category and time span and its highest bid in that span (bids that arrive before their auction wait as (time, price) pairs), emitting each change of that highest bid to the `output` stream `nexmark-q4-1-out`. Job 2 reads that stream: `keyBy` category, `runningAggregate` summing the changes and counting the auctions, `map` to `final = int(total / auctions)`",
    differences: [
      "two jobs chained by an output stream, because a step that keeps state across batches must be the first keyed step of its job, so the per-category running aggregate cannot follow the per-auction state in one job; job 2 sees job 1's rows of a batch in the same or the next batch",
      "Flink emits an updating result (a changelog of the per-category averages); the answer compared here is the table as it stands once every event has been processed (job 2's last frame after the input ends), not each intermediate update",
      "the join of bids with their auction and the MAX are done in one per-auction state instead of a regular join then a GROUP BY (same result: an auction without a bid in its span has no row, as in the inner join)",
      "the average is truncated to an integer, as Flink's AVG of a BIGINT is; the sums are doubles, exact below 2^53",
    ],
  },
  q5: {
    title: "Hot items: per 10 s window sliding by 2 s (on bid time), the auctions with the most bids",
    job: "`filter` bids, `keyBy` auction, `eventWindow` (10 s, slide 2 s, on `dateTime`, emit final) counting bids, then in the final stage `keyBy` window start, `aggregate` the window's highest count and `collect` its (auction, count) pairs, `flatMap` those at the highest count",
    differences: [
      "windows are emitted when the watermark (largest bid time seen; no lateness, as the generated events are in order, where Flink's DDL allows 4 s) passes their end; windows still open when the input ends are not emitted, where Flink's bounded source ends with a watermark that closes them",
      "a window's (auction, count) pairs are gathered with `collect`, which keeps at most 10,000 per window: a window with more distinct auctions would lose some (about 6,000 auctions are created in 10 s at this run's event rate; the answer check would report a loss)",
    ],
  },
  q7: {
    title: "Highest bid: the bids at the highest price of each 10 s tumbling window (bid time between window end - 10 s and window end, both included)",
    job: "`filter` bids, `flatMap` each bid to the window end(s) whose BETWEEN range holds its time (two when the time is exactly on a window boundary), `keyBy` window end, `mapWithState` keeping the window's highest price and the bids at it (a bid at exactly the end is a candidate but does not set the highest price, which is that of the window's own bids), emitting them `onTimeout`, `flatMap` one row per bid",
    differences: [
      "no window join on a value: the job keeps, per window, the highest price and the bids at it instead of joining every bid with the windows' maxima",
      "a window is emitted when its key has had no bid for 1 s of batch time (processing time) rather than when the watermark passes it; once the input ends every window is emitted, the last (partial) one too, as Flink's bounded run does",
      "columns are named by what they hold: Flink's query selects (auction, price, bidder, dateTime, extra) into a sink declared (auction, bidder, price, dateTime, extra), so its sink's `bidder` column receives the price and `price` the bidder",
    ],
  },
  q8: {
    title: "Monitor new users: people who created an auction in the 10 s tumbling window in which they joined",
    job: "`filter` persons and auctions, `keyBy` person id (the auction's seller), one `eventWindow` (10 s tumbling on `dateTime`, emit final) counting both kinds and taking the person's name, `filter` windows with both, `map` project (id, name, stime)",
    differences: [
      "one window over persons and auctions keyed by person instead of two windowed GROUP BYs joined on (id, window): the same rows, since every person id is created once",
      "windows still open when the input ends are not emitted (see q5)",
    ],
  },
};

/** What the queries needed that Tributary has no operator for (so the jobs above work around it). */
export const MISSING_OPERATORS: readonly string[] = [
  "an unbounded (regular) stream-stream join, which keeps both sides and emits each match once (q3, q4: built from `mapWithState`)",
  "a join on a computed value against a windowed aggregate (q7: built from `mapWithState` keyed by window)",
  "a stateful step after another keyed step in the same job (q4: a second job reads the first one's output stream)",
  "a decimal type (q1: doubles)",
];

export const GENERAL_DIFFERENCES: readonly string[] = [
  "All events are in one stream, `nexmark`, with the shape of Flink's `datagen` table (`event_type`, then `person`, `auction` or `bid`, and `dateTime`); each job picks its kinds by `event_type` as Flink's views do. Times are ms since the epoch (Flink: TIMESTAMP(3)); ids and prices are JSON numbers, which CEL reads as doubles (Flink: BIGINT), exact below 2^53.",
  "Event time runs at 10,000 events per second, one second of event time per 1 s batch, so a run spans 20-30 s of event time and its windows fill and close. Flink's published run generates 10 million events per second of event time: its 100 million events span about 10 s, so q5, q7 and q8 see one or two windows there, and auctions expire within a few milliseconds of opening (the reference draws an auction's length from the time until 100 more auctions exist, about 170 ms here).",
  "Generator: the reference's proportions (1 person, 3 auctions, 46 bids in every 50 events), ids, hot sellers, bidders, auctions and channels, string and price distributions and event sizes (about 200, 500, 100 bytes of Java fields), with each event drawn from a generator seeded by its number and the run's seed (as Beam's generator does with java.util.Random; Flink's draws from one unseeded SplittableRandom), mulberry32 instead of Java's generators, extra text cut from a 64 KiB string instead of 1 MiB, bidder ids offset by 1000 once (as Beam; Flink's BidGenerator adds it twice), no out-of-order groups and a constant rate (the reference's defaults).",
  "Throughput is the engine's, in this process, on events already in the store (in memory), on the in-thread runner (every task on one thread, so events/s are events/s per core), over the batches after the first 10 (while the 10 s windows fill); every event counts, persons and auctions too, as Flink's events/s do. Making and ingesting the events is not timed, where Flink's figures include its generator source. Results go to result frames (and for q0-q2 also to an output stream) instead of Flink's blackhole sink. Flink's figures are from a 3-machine cluster with checkpoints to RocksDB and a generator source, with per-core usage measured on the machines: a different setting, so the ratio is indicative only.",
];
