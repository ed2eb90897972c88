/**
 * A seeded, deterministic Nexmark event generator, following the reference generator of
 * nexmark/nexmark (Flink, nexmark-flink/.../generator) and apache/beam (sdks/java/testing/nexmark):
 * event n is a person, an auction or a bid by n mod 50 (1 : 3 : 46), ids count up from 1000 as the
 * events of their kind are made, sellers, bidders and auctions are skewed to "hot" ones as the
 * reference does (hot sellers 3 in 4, hot bidders 3 in 4, hot auctions 1 in 2), and event n happens
 * at baseTime + n / rate. As in Beam, event n draws its fields from a generator seeded with n (and
 * the run's seed), so any event, and so any batch, can be made on its own and is the same every time.
 *
 * Rows have the shape of Flink's `datagen` table: `{event_type, person | auction | bid, dateTime}`,
 * event_type 0 (person), 1 (auction) or 2 (bid), times in ms since the epoch.
 */
import { random } from "../corpus.js";

export const PERSON = 0;
export const AUCTION = 1;
export const BID = 2;

export const PROPORTIONS = { person: 1, auction: 3, bid: 46 } as const;
const TOTAL = PROPORTIONS.person + PROPORTIONS.auction + PROPORTIONS.bid;
export const FIRST_PERSON_ID = 1000;
export const FIRST_AUCTION_ID = 1000;
export const FIRST_CATEGORY_ID = 10;
export const NUM_CATEGORIES = 5;

/** The reference defaults (NexmarkConfiguration). */
const HOT_AUCTION_RATIO = 2;
const HOT_SELLERS_RATIO = 4;
const HOT_BIDDERS_RATIO = 4;
const NUM_IN_FLIGHT_AUCTIONS = 100;
const NUM_ACTIVE_PEOPLE = 1000;
const AVG_PERSON_BYTES = 200;
const AVG_AUCTION_BYTES = 500;
const AVG_BID_BYTES = 100;
/** Hot auctions, sellers and bidders are the first (bidders: second) of each group of 100. */
const HOT_GROUP = 100;
const ID_LEAD = 10;
const HOT_CHANNELS = ["Google", "Facebook", "Baidu", "Apple"];
const CHANNELS = 10_000;

export const US_STATES = ["AZ", "CA", "ID", "OR", "WA", "WY"];
const US_CITIES = ["Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"];
const FIRST_NAMES = ["Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"];
const LAST_NAMES = ["Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"];

export interface Person { id: number; name: string; emailAddress: string; creditCard: string; city: string; state: string; dateTime: number; extra: string }
export interface Auction { id: number; itemName: string; description: string; initialBid: number; reserve: number; dateTime: number; expires: number; seller: number; category: number; extra: string }
export interface Bid { auction: number; bidder: number; price: number; channel: string; url: string; dateTime: number; extra: string }
export type NexmarkEvent =
  | { event_type: typeof PERSON; person: Person; dateTime: number }
  | { event_type: typeof AUCTION; auction: Auction; dateTime: number }
  | { event_type: typeof BID; bid: Bid; dateTime: number };

export interface GeneratorOptions {
  readonly seed?: number;
  /** Events per second of event time (the reference's first-event.rate). */
  readonly eventsPerSecond: number;
  /** Event time of event 0, ms since the epoch; a multiple of 10 s so that windows line up with it. */
  readonly baseTime?: number;
}

export const DEFAULT_BASE_TIME = 1_700_000_000_000;

type Next = () => number;
const nextInt = (next: Next, n: number) => Math.floor(next() * n);

export function lastBase0PersonId(eventId: number): number {
  const epoch = Math.floor(eventId / TOTAL);
  let offset = eventId % TOTAL;
  if (offset >= PROPORTIONS.person) offset = PROPORTIONS.person - 1;
  return epoch * PROPORTIONS.person + offset;
}

export function lastBase0AuctionId(eventId: number): number {
  let epoch = Math.floor(eventId / TOTAL);
  let offset = eventId % TOTAL;
  if (offset < PROPORTIONS.person) {
    epoch--;
    offset = PROPORTIONS.auction - 1;
  } else if (offset >= PROPORTIONS.person + PROPORTIONS.auction) {
    offset = PROPORTIONS.auction - 1;
  } else {
    offset -= PROPORTIONS.person;
  }
  return epoch * PROPORTIONS.auction + offset;
}

function nextBase0PersonId(eventId: number, next: Next): number {
  const numPeople = lastBase0PersonId(eventId) + 1;
  const active = Math.min(numPeople, NUM_ACTIVE_PEOPLE);
  return numPeople - active + nextInt(next, active + ID_LEAD);
}

function nextBase0AuctionId(eventId: number, next: Next): number {
  const max = lastBase0AuctionId(eventId);
  const min = Math.max(max - NUM_IN_FLIGHT_AUCTIONS, 0);
  return min + nextInt(next, max - min + 1 + ID_LEAD);
}

/** Prices from $1 to $1,000,000 (in cents), log-uniform. */
function nextPrice(next: Next): number {
  return Math.round(Math.pow(10, next() * 6) * 100);
}

/** 3 to maxLength-1 characters: lower-case letters, with `special` about 1 in 13, trimmed. */
function nextString(next: Next, maxLength: number, special = " "): string {
  let len = 3 + nextInt(next, maxLength - 3);
  let s = "";
  while (len-- > 0) s += nextInt(next, 13) === 0 ? special : String.fromCharCode(97 + nextInt(next, 26));
  return s.trim();
}

/** As the reference, extra text is cut from one long random string made once. */
const REUSABLE = (() => {
  const next = random(0x6e65786d);
  let s = "";
  for (let i = 0; i < 64 * 1024; i++) s += String.fromCharCode(97 + nextInt(next, 26));
  return s;
})();

/** Text that brings the event to about `average` bytes (within ±20%). */
function nextExtra(next: Next, currentSize: number, average: number): string {
  if (currentSize > average) return "";
  const desired = average - currentSize;
  const delta = Math.round(desired * 0.2);
  const size = desired - delta + (delta === 0 ? 0 : nextInt(next, 2 * delta));
  const offset = nextInt(next, REUSABLE.length - size);
  return REUSABLE.slice(offset, offset + size);
}

function baseUrl(next: Next): string {
  return `https://www.nexmark.com/${nextString(next, 5, "_")}/${nextString(next, 5, "_")}/${nextString(next, 5, "_")}/item.htm?query=1`;
}

const HOT_URLS = (() => {
  const next = random(0x75726c73);
  return HOT_CHANNELS.map(() => baseUrl(next));
})();
let channelUrls: string[] | undefined;
function channelUrl(i: number): string {
  if (!channelUrls) {
    const next = random(0x6368616e);
    channelUrls = Array.from({ length: CHANNELS }, (_, c) => {
      const url = baseUrl(next);
      return nextInt(next, 10) > 0 ? `${url}&channel_id=${Math.abs(reverseBits(c))}` : url;
    });
  }
  return channelUrls[i]!;
}
/** Java's Integer.reverse. */
function reverseBits(i: number): number {
  let r = 0;
  for (let b = 0; b < 32; b++) r = (r << 1) | ((i >>> b) & 1);
  return r | 0;
}

export class NexmarkGenerator {
  readonly seed: number;
  readonly eventsPerSecond: number;
  readonly baseTime: number;

  constructor(options: GeneratorOptions) {
    this.seed = options.seed ?? 1;
    this.eventsPerSecond = options.eventsPerSecond;
    this.baseTime = options.baseTime ?? DEFAULT_BASE_TIME;
  }

  /** Event time of event n: the reference's baseTime + (long)(n * interEventDelayUs) / 1000. */
  timestampOf(eventId: number): number {
    return this.baseTime + Math.floor(Math.floor((eventId * 1_000_000) / this.eventsPerSecond) / 1000);
  }

  /** Events [from, to), in order. */
  events(from: number, to: number): NexmarkEvent[] {
    const out: NexmarkEvent[] = new Array(Math.max(0, to - from));
    for (let n = from; n < to; n++) out[n - from] = this.event(n);
    return out;
  }

  event(eventId: number): NexmarkEvent {
    const next = random(Math.imul(this.seed ^ 0x2545f491, 0x9e3779b1) ^ Math.imul(eventId, 0x85ebca6b) ^ Math.floor(eventId / 2 ** 32));
    const dateTime = this.timestampOf(eventId);
    const rem = eventId % TOTAL;
    if (rem < PROPORTIONS.person) return { event_type: PERSON, person: this.person(eventId, next, dateTime), dateTime };
    if (rem < PROPORTIONS.person + PROPORTIONS.auction) return { event_type: AUCTION, auction: this.auction(eventId, next, dateTime), dateTime };
    return { event_type: BID, bid: this.bid(eventId, next, dateTime), dateTime };
  }

  private person(eventId: number, next: Next, dateTime: number): Person {
    const id = lastBase0PersonId(eventId) + FIRST_PERSON_ID;
    const name = `${FIRST_NAMES[nextInt(next, FIRST_NAMES.length)]!} ${LAST_NAMES[nextInt(next, LAST_NAMES.length)]!}`;
    const emailAddress = `${nextString(next, 7)}@${nextString(next, 5)}.com`;
    const creditCard = Array.from({ length: 4 }, () => String(nextInt(next, 10_000)).padStart(4, "0")).join(" ");
    const city = US_CITIES[nextInt(next, US_CITIES.length)]!;
    const state = US_STATES[nextInt(next, US_STATES.length)]!;
    const size = 8 + name.length + emailAddress.length + creditCard.length + city.length + state.length;
    return { id, name, emailAddress, creditCard, city, state, dateTime, extra: nextExtra(next, size, AVG_PERSON_BYTES) };
  }

  private auction(eventId: number, next: Next, dateTime: number): Auction {
    const id = lastBase0AuctionId(eventId) + FIRST_AUCTION_ID;
    const seller = (nextInt(next, HOT_SELLERS_RATIO) > 0 ? Math.floor(lastBase0PersonId(eventId) / HOT_GROUP) * HOT_GROUP : nextBase0PersonId(eventId, next)) + FIRST_PERSON_ID;
    const category = FIRST_CATEGORY_ID + nextInt(next, NUM_CATEGORIES);
    const initialBid = nextPrice(next);
    // Auctions last on average as long as it takes to make NUM_IN_FLIGHT_AUCTIONS more of them.
    const horizon = this.timestampOf(eventId + Math.floor((NUM_IN_FLIGHT_AUCTIONS * TOTAL) / PROPORTIONS.auction)) - dateTime;
    const expires = dateTime + 1 + nextInt(next, Math.max(horizon * 2, 1));
    const itemName = nextString(next, 20);
    const description = nextString(next, 100);
    const reserve = initialBid + nextPrice(next);
    const size = 8 + itemName.length + description.length + 40;
    return { id, itemName, description, initialBid, reserve, dateTime, expires, seller, category, extra: nextExtra(next, size, AVG_AUCTION_BYTES) };
  }

  private bid(eventId: number, next: Next, dateTime: number): Bid {
    const auction = (nextInt(next, HOT_AUCTION_RATIO) > 0 ? Math.floor(lastBase0AuctionId(eventId) / HOT_GROUP) * HOT_GROUP : nextBase0AuctionId(eventId, next)) + FIRST_AUCTION_ID;
    const bidder = (nextInt(next, HOT_BIDDERS_RATIO) > 0 ? Math.floor(lastBase0PersonId(eventId) / HOT_GROUP) * HOT_GROUP + 1 : nextBase0PersonId(eventId, next)) + FIRST_PERSON_ID;
    const price = nextPrice(next);
    let channel: string;
    let url: string;
    if (nextInt(next, 2) > 0) {
      const i = nextInt(next, HOT_CHANNELS.length);
      channel = HOT_CHANNELS[i]!;
      url = HOT_URLS[i]!;
    } else {
      const c = nextInt(next, CHANNELS);
      channel = `channel-${c}`;
      url = channelUrl(c);
    }
    return { auction, bidder, price, channel, url, dateTime, extra: nextExtra(next, 32, AVG_BID_BYTES) };
  }
}
