/**
 * Streams: declaring them, and ingest — routing each event to a partition and storing each
 * partition's share of a request as one block, before the request is acknowledged. A stream with an
 * `idField` stores each event as a block of its own, deduplicated by the event's id, so that an event
 * sent twice (in any request, with any Idempotency-Key or none) is stored once.
 */
import { createHash } from "node:crypto";
import type { Catalog, StreamDefinition, StreamLog } from "../store/types.js";
import type { Metrics } from "../metrics/metrics.js";
import { encodeBlockOfJson } from "./block-codec.js";
import type { Clock } from "./clock.js";
import { EngineError } from "./errors.js";
import { checkEventLimits } from "./event-limits.js";
import type { Row } from "./operators/operator.js";
import { hashPartition } from "./partitioning.js";
import { resourceName } from "./query/job-definition.js";
import { BlockEventCounts } from "./block-event-counts.js";

/** What a user may say when declaring a stream; the rest has defaults. */
export interface StreamSpec {
  name: string;
  partitions?: number;
  keyField?: string;
  eventTimeField?: string;
  idField?: string;
}

export interface IngestReceipt {
  readonly stream: string;
  readonly accepted: number;
  readonly blocks: { partition: number; offset: number; count: number }[];
  /** True when every block was already stored by an earlier request with the same idempotency key. */
  readonly replayed: boolean;
  /** Events not stored because they were already (a replayed request, or an event id seen before). */
  readonly duplicates: number;
}

export interface IngestOptions {
  /** Makes a retried request a no-op: the same blocks, at the same offsets, are not stored twice. */
  readonly idempotencyKey?: string;
}

export const MAX_PARTITIONS = 256;

/** A partition's share of a request: its events, and each one's JSON text (serialized once, when checked). */
interface Share {
  readonly rows: Row[];
  readonly json: string[];
}

interface AppendedBlock {
  readonly partition: number;
  readonly offset: number;
  readonly count: number;
  /** The block's payload as stored. */
  readonly bytes: number;
  readonly duplicate: boolean;
}

export class Streams {
  private readonly roundRobin = new Map<string, number>();
  /** Events stored into each stream by this process since it started (see storedSinceStart). */
  private readonly stored = new Map<string, number>();
  /** Events per stored block, for jobs' lag (see lagEvents). */
  readonly blockEvents = new BlockEventCounts();

  constructor(
    private readonly catalog: Catalog,
    private readonly log: StreamLog,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    private readonly defaultPartitions: number,
  ) {}

  /**
   * How many events this process has stored into `name` since it started: a count that only grows,
   * from which a job reading the stream works out how many events wait for it (JobGenerator.backlog).
   */
  storedSinceStart(name: string): number {
    return this.stored.get(name) ?? 0;
  }

  async declare(spec: StreamSpec): Promise<StreamDefinition> {
    checkName(spec.name);
    const definition: StreamDefinition = {
      name: spec.name,
      partitions: spec.partitions ?? this.defaultPartitions,
      createdAt: this.clock.now(),
      ...(spec.keyField === undefined ? {} : { keyField: spec.keyField }),
      ...(spec.eventTimeField === undefined ? {} : { eventTimeField: spec.eventTimeField }),
      ...(spec.idField === undefined ? {} : { idField: spec.idField }),
    };
    if (!(await this.catalog.createStream(definition))) {
      throw new EngineError("STREAM_EXISTS", `stream "${spec.name}" already exists; delete it first or use another name`);
    }
    return definition;
  }

  async get(name: string): Promise<StreamDefinition> {
    const stream = await this.catalog.getStream(name);
    if (!stream) throw new EngineError("UNKNOWN_STREAM", `no stream named "${name}"; list streams with GET /v1/streams`);
    return stream;
  }

  list(): Promise<StreamDefinition[]> {
    return this.catalog.listStreams();
  }

  /** Removes the stream and its events. The caller checks first that no job reads it. */
  async delete(name: string): Promise<void> {
    await this.get(name);
    await this.log.drop(name);
    await this.catalog.deleteStream(name);
    this.roundRobin.delete(name);
    this.blockEvents.forget(name);
  }

  /**
   * Validates every event, then stores one block per partition touched. A stream is created on its
   * first ingest, but only once its events have passed: a rejected request changes nothing. Of
   * concurrent first ingests (and declarations) exactly one creates it; the rest use what it created.
   */
  async ingest(name: string, events: readonly unknown[], options: IngestOptions = {}): Promise<IngestReceipt> {
    checkName(name);
    if (events.length === 0) throw new EngineError("INVALID_EVENT", "the request holds no events; send a JSON object, an array of objects, or NDJSON lines");
    const existing = await this.catalog.getStream(name);
    let stream = existing ?? { name, partitions: this.defaultPartitions, createdAt: this.clock.now() };
    let shares = this.route(stream, events, options.idempotencyKey);
    if (!existing && !(await this.catalog.createStream(stream))) {
      // Another request created the stream first, perhaps declared with other partitions or fields:
      // its events go where that definition sends them.
      stream = await this.get(name);
      shares = this.route(stream, events, options.idempotencyKey);
    }
    const appended = (
      await Promise.all([...shares.entries()].map(([partition, share]) => (stream.idField === undefined ? this.appendShare(name, partition, share, options.idempotencyKey) : this.appendEach(stream, partition, share))))
    ).flat();
    const storedAt = this.clock.now();
    for (const b of appended) if (!b.duplicate) this.blockEvents.stored(name, b.partition, b.offset, b.count, storedAt);
    const stored = appended.filter((b) => !b.duplicate).reduce((n, b) => n + b.count, 0);
    if (stored > 0) {
      this.metrics.eventsIngested.inc({ stream: name }, stored);
      this.metrics.ingestedBytes.inc({ stream: name }, appended.reduce((n, b) => (b.duplicate ? n : n + b.bytes), 0));
      this.stored.set(name, (this.stored.get(name) ?? 0) + stored);
    }
    const blocks = appended.map(({ partition, offset, count }) => ({ partition, offset, count })).sort((a, b) => a.partition - b.partition || a.offset - b.offset);
    return { stream: name, accepted: events.length, blocks, replayed: appended.every((b) => b.duplicate), duplicates: events.length - stored };
  }

  /** A partition's share of a request as one block (found again, not stored twice, on a retry). */
  private async appendShare(stream: string, partition: number, share: Share, idempotencyKey: string | undefined): Promise<AppendedBlock[]> {
    const payload = encodeBlockOfJson(share.json);
    const count = share.rows.length;
    const block = { count, payload, ...(idempotencyKey === undefined ? {} : { requestId: requestIdOf(idempotencyKey, payload) }) };
    const { offset, duplicate } = await this.log.append(stream, partition, block);
    return [{ partition, offset, count, bytes: payload.byteLength, duplicate }];
  }

  /** Each event as a block of its own whose request id is the event's id, in order. */
  private async appendEach(stream: StreamDefinition, partition: number, share: Share): Promise<AppendedBlock[]> {
    const appended: AppendedBlock[] = [];
    for (const [i, event] of share.rows.entries()) {
      const block = { count: 1, payload: encodeBlockOfJson([share.json[i]!]), requestId: eventRequestId(event[stream.idField!]) };
      const { offset, duplicate } = await this.log.append(stream.name, partition, block);
      appended.push({ partition, offset, count: 1, bytes: block.payload.byteLength, duplicate });
    }
    return appended;
  }

  /**
   * Splits events by partition. With an idempotency key, round-robin starts from the key's hash, so a
   * retry routes every event exactly as the first attempt did and each partition can spot its duplicate.
   */
  private route(stream: StreamDefinition, events: readonly unknown[], idempotencyKey: string | undefined): Map<number, Share> {
    const shares = new Map<number, Share>();
    let next = idempotencyKey === undefined ? (this.roundRobin.get(stream.name) ?? 0) : hashPartition(idempotencyKey, stream.partitions);
    events.forEach((event, index) => {
      const { row, json } = checkEvent(stream, event, index);
      // An event with an id always goes where that id went before, so its partition spots the duplicate.
      const by = stream.keyField ?? stream.idField;
      const partition = by === undefined ? next++ % stream.partitions : hashPartition(row[by], stream.partitions);
      let share = shares.get(partition);
      if (!share) shares.set(partition, (share = { rows: [], json: [] }));
      share.rows.push(row);
      share.json.push(json);
    });
    if (idempotencyKey === undefined) this.roundRobin.set(stream.name, next % stream.partitions);
    return shares;
  }
}

function checkName(name: string): void {
  if (!resourceName.safeParse(name).success) {
    throw new EngineError("INVALID_STREAM", `stream name "${name}" is not valid: use 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit`);
  }
}

/** Checks an event against its stream and the event limits; gives it back with its JSON text. */
function checkEvent(stream: StreamDefinition, event: unknown, index: number): { row: Row; json: string } {
  if (event === null || typeof event !== "object" || Array.isArray(event)) {
    throw new EngineError("INVALID_EVENT", `event ${index} is not a JSON object; send objects such as {"text": "..."}`, { index });
  }
  const row = event as Row;
  if (stream.keyField !== undefined && !isScalar(row[stream.keyField])) {
    throw new EngineError("INVALID_EVENT", `event ${index} has no string or number "${stream.keyField}" field, which stream "${stream.name}" partitions by`, { index });
  }
  if (stream.idField !== undefined && !isEventId(row[stream.idField])) {
    throw new EngineError("INVALID_EVENT", `event ${index} has no "${stream.idField}" field (a string of 1-${MAX_EVENT_ID_LENGTH} bytes, or a number), by which stream "${stream.name}" recognises an event sent twice`, { index });
  }
  if (stream.eventTimeField !== undefined && parseEventTime(row[stream.eventTimeField]) === undefined) {
    throw new EngineError("INVALID_EVENT", `event ${index} has no valid "${stream.eventTimeField}" (ms since epoch or ISO-8601 text), the event-time field of stream "${stream.name}"`, { index });
  }
  const checked = checkEventLimits(row);
  if ("problem" in checked) throw new EngineError("INVALID_EVENT", `event ${index} ${checked.problem}`, { index, limit: checked.limit });
  return { row, json: checked.json };
}

/** In UTF-8 bytes, so that the block's request id stays within what every store keeps. */
const MAX_EVENT_ID_LENGTH = 256;

function isEventId(value: unknown): value is string | number {
  if (typeof value === "number") return Number.isFinite(value);
  return typeof value === "string" && value.length > 0 && Buffer.byteLength(value, "utf8") <= MAX_EVENT_ID_LENGTH;
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean";
}

/**
 * A block's request id: the client's key plus a digest of the block's bytes. A retry (same key, same
 * events, so the same bytes) finds its block; a key reused for other events never hides them.
 */
function requestIdOf(idempotencyKey: string, payload: Uint8Array): string {
  return `${idempotencyKey}#${createHash("sha256").update(payload).digest("base64url").slice(0, 22)}`;
}

/**
 * The request id of an event's block: a digest of its id's JSON text (so 1 and "1" differ), of fixed
 * length whatever characters the id holds.
 */
function eventRequestId(id: unknown): string {
  return `id:${createHash("sha256").update(JSON.stringify(id)).digest("base64url")}`;
}

/**
 * The latest (and, negated, the earliest) event time: what a JavaScript Date can hold, about 275,000
 * years either side of 1970. Window arithmetic stays exact within it (1e308 + 1000 === 1e308, so a
 * window loop over such a time never ended).
 */
export const MAX_EVENT_TIME_MS = 8.64e15;

/** An event time as ms since the epoch, from a number or ISO-8601 text; undefined past MAX_EVENT_TIME_MS. */
export function parseEventTime(value: unknown): number | undefined {
  if (typeof value === "number") return Math.abs(value) <= MAX_EVENT_TIME_MS ? value : undefined;
  if (typeof value === "string") {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}
