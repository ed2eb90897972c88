/**
 * Streams: declaring them, and ingest — routing each event to a partition and storing each
 * partition's share of a request as one block, before the request is acknowledged. A stream with an
 * `idField` stores each event as a block of its own, deduplicated by the event's id, so that an event
 * sent twice (in any request, with any Idempotency-Key or none) is stored once.
 */
import { createHash } from "node:crypto";
import type { Catalog, StreamDefinition, StreamLog } from "../store/types.js";
import type { Metrics } from "../metrics/metrics.js";
import type { Clock } from "./clock.js";
import { encodeEvents, type EncodedBody, type EncodedShare } from "./encoded-body.js";
import { EngineError } from "./errors.js";
import { eventSchemaProblem } from "./event-schema.js";
import type { StreamShape } from "./event-check.js";
import { InlineIngestEncoder, type IngestEncoder } from "./ingest-encoder.js";
import { hashPartition } from "./partitioning.js";
import { resourceName } from "./query/job-definition.js";
import { BlockEventCounts } from "./block-event-counts.js";
import { checkRetention } from "./stream-retention.js";

/** What a user may say when declaring a stream; the rest has defaults. */
export interface StreamSpec {
  name: string;
  partitions?: number;
  keyField?: string;
  eventTimeField?: string;
  idField?: string;
  /** "forever", or {time, bytes}: checked here (see stream-retention.ts). */
  retention?: unknown;
  /** JSON Schema (2020-12) every event must match; see event-schema.ts for what a schema may be. */
  schema?: Record<string, unknown>;
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
  /**
   * Called with the number of events once they have passed their checks and before anything is
   * stored: a quota that throws here refuses the request with nothing stored (and no stream created).
   */
  readonly admit?: (events: number) => void;
}

export const MAX_PARTITIONS = 256;

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
    private readonly encoder: IngestEncoder = new InlineIngestEncoder(),
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
    const schemaProblem = spec.schema === undefined ? undefined : eventSchemaProblem(spec.schema);
    if (schemaProblem) throw new EngineError("INVALID_STREAM", `schema ${schemaProblem}`, { problems: [{ path: "schema", message: schemaProblem }] });
    const definition: StreamDefinition = {
      name: spec.name,
      partitions: spec.partitions ?? this.defaultPartitions,
      createdAt: this.clock.now(),
      ...(spec.keyField === undefined ? {} : { keyField: spec.keyField }),
      ...(spec.eventTimeField === undefined ? {} : { eventTimeField: spec.eventTimeField }),
      ...(spec.idField === undefined ? {} : { idField: spec.idField }),
      ...(spec.retention === undefined ? {} : { retention: checkRetention(spec.retention) }),
      ...(spec.schema === undefined ? {} : { schema: spec.schema }),
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
    if (events.length === 0) throw noEvents();
    return this.store(name, async (shape) => encodeEvents(events, shape, options.idempotencyKey !== undefined), options);
  }

  /** Ingest of a raw NDJSON body, parsed, checked and encoded by the ingest encoder (off this thread). */
  async ingestNdjson(name: string, body: Uint8Array, options: IngestOptions = {}): Promise<IngestReceipt> {
    checkName(name);
    // The body may be moved to the encoder's thread unless it could be needed again (see store).
    return this.store(name, (shape, again) => this.encoder.encodeNdjson(body, shape, options.idempotencyKey !== undefined, !again), options);
  }

  /** `encode(shape, again)`: `again` when the body may have to be encoded once more, for another shape. */
  private async store(name: string, encode: (shape: StreamShape, again: boolean) => Promise<EncodedBody>, options: IngestOptions): Promise<IngestReceipt> {
    const existing = await this.catalog.getStream(name);
    let stream = existing ?? { name, partitions: this.defaultPartitions, createdAt: this.clock.now() };
    let encoded = await encode(stream, !existing);
    this.metrics.ingestBodiesEncoded.inc({ thread: encoded.thread === undefined ? "main" : "ingest thread" });
    if (encoded.count === 0) throw noEvents();
    options.admit?.(encoded.count);
    if (!existing && !(await this.catalog.createStream(stream))) {
      // Another request created the stream first, perhaps declared with other partitions or fields:
      // its events go where that definition sends them.
      const created = await this.get(name);
      if (!sameShape(created, stream)) encoded = await encode(created, false);
      stream = created;
    }
    // With an idempotency key, round-robin starts from the key's hash, so a retry routes every event
    // exactly as the first attempt did and each partition can spot its duplicate.
    const roundRobin = stream.keyField === undefined && stream.idField === undefined;
    const start = options.idempotencyKey === undefined ? (this.roundRobin.get(name) ?? 0) : hashPartition(options.idempotencyKey, stream.partitions);
    if (roundRobin && options.idempotencyKey === undefined) this.roundRobin.set(name, (start + encoded.count) % stream.partitions);
    const appended = (
      await Promise.all(
        encoded.shares.map((share) => {
          const partition = roundRobin ? (start + share.group) % stream.partitions : share.group;
          return share.events === undefined ? this.appendShare(name, partition, share, options.idempotencyKey) : this.appendEach(name, partition, share.events);
        }),
      )
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
    return { stream: name, accepted: encoded.count, blocks, replayed: appended.every((b) => b.duplicate), duplicates: encoded.count - stored };
  }

  /** A partition's share of a request as one block (found again, not stored twice, on a retry). */
  private async appendShare(stream: string, partition: number, share: EncodedShare, idempotencyKey: string | undefined): Promise<AppendedBlock[]> {
    const payload = share.payload!;
    const count = share.count;
    const requestId = idempotencyKey === undefined ? undefined : `${idempotencyKey}#${share.digest ?? digestOf(payload)}`;
    const block = { count, payload, ...(requestId === undefined ? {} : { requestId }) };
    const { offset, duplicate } = await this.log.append(stream, partition, block);
    return [{ partition, offset, count, bytes: payload.byteLength, duplicate }];
  }

  /** Each event as a block of its own whose request id is the event's id, in order. */
  private async appendEach(stream: string, partition: number, events: NonNullable<EncodedShare["events"]>): Promise<AppendedBlock[]> {
    const appended: AppendedBlock[] = [];
    for (const event of events) {
      const { offset, duplicate } = await this.log.append(stream, partition, { count: 1, payload: event.payload, requestId: event.requestId });
      appended.push({ partition, offset, count: 1, bytes: event.payload.byteLength, duplicate });
    }
    return appended;
  }
}

function noEvents(): EngineError {
  return new EngineError("INVALID_EVENT", "the request holds no events; send a JSON object, an array of objects, or NDJSON lines");
}

/** Whether events encoded for one definition go where the other would send them. */
function sameShape(a: StreamShape, b: StreamShape): boolean {
  return (
    a.partitions === b.partitions && a.keyField === b.keyField && a.idField === b.idField && a.eventTimeField === b.eventTimeField &&
    JSON.stringify(a.schema) === JSON.stringify(b.schema)
  );
}

function checkName(name: string): void {
  if (!resourceName.safeParse(name).success) {
    throw new EngineError("INVALID_STREAM", `stream name "${name}" is not valid: use 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit`);
  }
}

/**
 * The digest in a block's request id: with the client's key, a retry (same key, same events, so the
 * same bytes) finds its block; a key reused for other events never hides them.
 */
function digestOf(payload: Uint8Array): string {
  return createHash("sha256").update(payload).digest("base64url").slice(0, 22);
}
