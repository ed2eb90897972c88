/**
 * Nexmark q0-q5, q7, q8 as Tributary job definitions, as a client would POST them. Every job reads
 * one stream, `nexmark`, holding all three kinds of event as Flink's `datagen` table does; each query
 * picks its kinds by `event_type` (0 person, 1 auction, 2 bid), as Flink's `person`, `auction` and
 * `bid` views do. The final steps project the columns of the reference query's sink table, so that
 * the rows can be compared with the plain recomputation in reference.ts. How each job differs from
 * the reference SQL is listed in docs/benchmarks.md (section Nexmark), from `QUERY_NOTES` below.
 */

export type QueryName = "q0" | "q1" | "q2" | "q3" | "q4" | "q5" | "q7" | "q8";
export const QUERIES: readonly QueryName[] = ["q0", "q1", "q2", "q3", "q4", "q5", "q7", "q8"];

export const INPUT_STREAM = "nexmark";

export interface QueryJobs {
  /** The jobs to register, in order; a job may read the `output` stream of the one before. */
  readonly jobs: readonly Record<string, unknown>[];
  /** The job whose result frames carry the query's answer. */
  readonly answerJob: string;
  /**
   * "rows": the answer is every row of every frame (an append-only result, as Flink's sink gets it);
   * "last": the answer is the last frame's rows (an updating result: the table as it ends).
   */
  readonly answer: "rows" | "last";
}

export interface JobOptions {
  readonly batchIntervalMs: number;
  readonly startFrom?: "earliest" | "latest";
  /** Prefix of job and output stream names (several runs in one engine). */
  readonly prefix?: string;
}

const BID_COLUMNS = { auction: "bid.auction", bidder: "bid.bidder", price: "bid.price", dateTime: "dateTime", extra: "bid.extra" };

/** Steps of the query's single job, or of each of its jobs. */
function steps(query: QueryName): Record<string, unknown>[][] {
  switch (query) {
    case "q0":
      return [[{ op: "filter", where: "event_type == 2" }, { op: "map", project: BID_COLUMNS }]];
    case "q1":
      return [[{ op: "filter", where: "event_type == 2" }, { op: "map", project: { ...BID_COLUMNS, price: "0.908 * bid.price" } }]];
    case "q2":
      return [[{ op: "filter", where: "event_type == 2 && bid.auction % 123 == 0" }, { op: "map", project: { auction: "bid.auction", price: "bid.price" } }]];
    case "q3":
      // An incremental inner join: per person id, the person once seen and the auctions still waiting
      // for it; each matching (person, auction) pair is emitted once, when its second side arrives.
      return [[
        { op: "filter", where: "(event_type == 0 && person.state in ['OR', 'ID', 'CA']) || (event_type == 1 && auction.category == 10)" },
        { op: "keyBy", key: "event_type == 0 ? person.id : auction.seller" },
        {
          op: "mapWithState",
          init: "{'person': null, 'pending': [], 'matched': []}",
          update:
            "value.event_type == 0 ? {'person': {'name': value.person.name, 'city': value.person.city, 'state': value.person.state}, 'pending': [], 'matched': state.pending}" +
            " : (state.person == null ? {'person': null, 'pending': state.pending + [value.auction.id], 'matched': []} : {'person': state.person, 'pending': [], 'matched': [value.auction.id]})",
          emit: "size(state.matched) > 0 ? {'name': state.person.name, 'city': state.person.city, 'state': state.person.state, 'ids': state.matched} : null",
        },
        { op: "flatMap", expr: "ids.map(i, {'name': name, 'city': city, 'state': state, 'id': i})" },
      ]];
    case "q4": {
      // Job 1: per auction, its category and time span and the highest bid within that span so far;
      // each time that highest bid changes, the change is written to the output stream. Bids that
      // come before their auction wait as (time, price) pairs.
      const inSpan = (t: string) => `${t} >= value.auction.dateTime && ${t} <= value.auction.expires`;
      const waitingMax = `state.pending.exists(p, ${inSpan("p[0]")}) ? state.pending.filter(p, ${inSpan("p[0]")} && state.pending.all(q, !(${inSpan("q[0]")}) || q[1] <= p[1]))[0][1] : null`;
      const winning = [
        { op: "filter", where: "event_type == 1 || event_type == 2" },
        { op: "keyBy", key: "event_type == 1 ? auction.id : bid.auction" },
        {
          op: "mapWithState",
          init: "{'a': null, 'max': null, 'prev': null, 'pending': []}",
          update:
            `value.event_type == 1 ? {'a': {'category': value.auction.category, 'start': value.auction.dateTime, 'end': value.auction.expires}, 'max': ${waitingMax}, 'prev': null, 'pending': []}` +
            " : (state.a == null ? {'a': null, 'max': null, 'prev': null, 'pending': state.pending + [[value.bid.dateTime, value.bid.price]]}" +
            " : {'a': state.a, 'prev': state.max, 'pending': [], 'max': value.bid.dateTime >= state.a.start && value.bid.dateTime <= state.a.end && (state.max == null || value.bid.price > state.max) ? value.bid.price : state.max})",
          emit: "state.a != null && state.max != null && state.max != state.prev ? {'category': state.a.category, 'delta': state.max - (state.prev == null ? 0 : state.prev), 'auctions': state.prev == null ? 1 : 0} : null",
        },
      ];
      // Job 2: per category, the sum of the auctions' highest bids and how many auctions have one.
      const average = [
        { op: "keyBy", key: "category" },
        { op: "runningAggregate", aggs: { total: { fn: "sum", of: "delta" }, auctions: { fn: "sum", of: "auctions" } } },
        { op: "map", project: { id: "key", final: "int(total / auctions)" } },
      ];
      return [winning, average];
    }
    case "q5":
      return [[
        { op: "filter", where: "event_type == 2" },
        { op: "keyBy", key: "bid.auction" },
        { op: "eventWindow", time: "dateTime", length: "10s", slide: "2s", emit: "final", aggs: { num: { fn: "count" } } },
        { op: "map", project: { auction: "key", num: "num", starttime: "windowStart" } },
        { op: "keyBy", key: "starttime" },
        { op: "aggregate", aggs: { maxn: { fn: "max", of: "num" }, items: { fn: "collect", of: "{'auction': auction, 'num': num}", limit: 10_000 } } },
        { op: "flatMap", expr: "items.filter(i, i.num >= maxn)" },
      ]];
    case "q7":
      // Per window end e (10 s tumbling windows), the highest price of the bids in [e - 10 s, e) and
      // the bids at that price in [e - 10 s, e] (BETWEEN includes both ends: a bid at exactly e is an
      // "edge" bid of window e, which does not set its highest price); emitted when the window's key
      // has had no bid for one batch interval.
      return [[
        { op: "filter", where: "event_type == 2" },
        { op: "flatMap", expr: "dateTime % 10000 == 0 ? [{'end': dateTime, 'edge': true, 'bid': bid}, {'end': dateTime + 10000, 'edge': false, 'bid': bid}] : [{'end': dateTime - dateTime % 10000 + 10000, 'edge': false, 'bid': bid}]" },
        { op: "keyBy", key: "end" },
        {
          op: "mapWithState",
          init: "{'max': null, 'bids': [], 'edge': []}",
          update:
            "value.edge ? {'max': state.max, 'bids': state.bids, 'edge': state.edge + [value.bid]}" +
            " : (state.max == null || value.bid.price > state.max ? {'max': value.bid.price, 'bids': [value.bid], 'edge': state.edge}" +
            " : (value.bid.price == state.max ? {'max': state.max, 'bids': state.bids + [value.bid], 'edge': state.edge} : state))",
          emit: "null",
          timeout: "1s",
          onTimeout: "state.max == null ? null : {'bids': state.bids + state.edge.filter(b, b.price == state.max)}",
        },
        { op: "flatMap", expr: "bids.map(b, {'auction': b.auction, 'price': b.price, 'bidder': b.bidder, 'dateTime': b.dateTime, 'extra': b.extra})" },
      ]];
    case "q8":
      return [[
        { op: "filter", where: "event_type == 0 || event_type == 1" },
        { op: "keyBy", key: "event_type == 0 ? person.id : auction.seller" },
        {
          op: "eventWindow", time: "dateTime", length: "10s", emit: "final",
          aggs: { persons: { fn: "count", of: "event_type == 0 ? 1 : null" }, auctions: { fn: "count", of: "event_type == 1 ? 1 : null" }, name: { fn: "first", of: "event_type == 0 ? person.name : null" } },
        },
        { op: "filter", where: "persons > 0 && auctions > 0" },
        { op: "map", project: { id: "key", name: "name", stime: "windowStart" } },
      ]];
  }
}

/** The query's jobs, named `<prefix>nexmark-<query>` (and `-1`, `-2` when there are two). */
export function queryJobs(query: QueryName, options: JobOptions): QueryJobs {
  const prefix = options.prefix ?? "";
  const all = steps(query);
  const names = all.length === 1 ? [`${prefix}nexmark-${query}`] : all.map((_, i) => `${prefix}nexmark-${query}-${i + 1}`);
  const withOutput = query === "q0" || query === "q1" || query === "q2";
  const jobs = all.map((s, i) => ({
    name: names[i]!,
    input: i === 0 ? INPUT_STREAM : `${names[i - 1]!}-out`,
    batchInterval: `${options.batchIntervalMs}ms`,
    startFrom: options.startFrom ?? "latest",
    steps: s,
    ...(i < all.length - 1 || withOutput ? { output: `${names[i]!}-out` } : {}),
  }));
  return { jobs, answerJob: names.at(-1)!, answer: query === "q4" ? "last" : "rows" };
}

/** Output streams the query's jobs write (to be declared before the jobs are registered). */
export function outputStreams(q: QueryJobs): string[] {
  return q.jobs.flatMap((j) => (typeof j.output === "string" ? [j.output] : []));
}
