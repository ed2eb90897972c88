/**
 * A request's events checked, routed and encoded: each partition's share as the bytes of one block
 * (or, for a stream with an `idField`, each event as a block of its own with its request id). This is
 * the CPU-heavy part of ingest; it is a pure function of the body and the stream's shape, so it can run
 * on any thread (see IngestEncoder) and be run again if the stream's shape turns out to differ.
 *
 * An NDJSON body is parsed once here, line by line, and each event serialized once (by the event
 * limits' check); nothing parses or serializes it again before it is stored.
 */
import { createHash } from "node:crypto";
import { encodeBlockOfJson } from "./block-codec.js";
import { EngineError } from "./errors.js";
import { checkEvent, eventRequestId, type StreamShape } from "./event-check.js";
import { eventValidator, type EventValidator } from "./event-schema.js";
import { hashPartition } from "./partitioning.js";

/** One share of a request: the events bound for one partition. */
export interface EncodedShare {
  /**
   * Which partition: the partition itself for a stream routed by key or id; for a round-robin stream,
   * the share's place after the partition the request starts at (event i is in share i % partitions).
   */
  readonly group: number;
  readonly count: number;
  /** The share as one block (a stream without an idField). */
  readonly payload?: Uint8Array;
  /** A digest of `payload` (when asked for): with the Idempotency-Key, the block's request id. */
  readonly digest?: string;
  /** A stream with an idField: each event as its own block, in order, with its request id. */
  readonly events?: { readonly payload: Uint8Array; readonly requestId: string }[];
}

export interface EncodedBody {
  readonly count: number;
  readonly shares: EncodedShare[];
  /** The worker thread that encoded the body (its threadId); absent: the main thread. */
  readonly thread?: number;
}

/** Events already parsed (a JSON object or array body). */
export function encodeEvents(events: readonly unknown[], shape: StreamShape, digests: boolean): EncodedBody {
  const shares = new ShareBuilder(shape);
  events.forEach((event, index) => shares.add(event, index));
  return shares.encode(digests);
}

/**
 * An NDJSON body: one JSON object per line, blank lines skipped. A line that is not JSON is named by
 * its line number, and so is an event refused by its stream or the limits; when a body has both, the
 * line that is not JSON is the one named (every line is parsed before any event is judged, as a reader
 * of the whole body would).
 */
export function encodeNdjson(body: Uint8Array, shape: StreamShape, digests: boolean): EncodedBody {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8");
  const shares = new ShareBuilder(shape);
  let refused: unknown;
  let index = 0;
  let line = 0;
  for (let start = 0; start <= text.length; ) {
    const end = text.indexOf("\n", start);
    const stop = end === -1 ? text.length : end;
    const source = text.slice(start, stop);
    start = stop + 1;
    line += 1;
    if (source.trim() === "") continue;
    let event: unknown;
    try {
      event = JSON.parse(source);
    } catch (error) {
      throw new EngineError("INVALID_BODY", `NDJSON line ${line} is not valid JSON (${(error as Error).message}); send one JSON object per line`, { line });
    }
    if (refused === undefined) {
      try {
        shares.add(event, index);
      } catch (error) {
        refused = withLine(error, line);
      }
    }
    index += 1;
    if (end === -1) break;
  }
  if (refused !== undefined) throw refused;
  return shares.encode(digests);
}

/** Names a refused NDJSON event by its line, as a person reading the file would. */
function withLine(error: unknown, line: number): unknown {
  if (!(error instanceof EngineError) || error.code !== "INVALID_EVENT") return error;
  return new EngineError("INVALID_EVENT", `NDJSON line ${line}: ${error.message}`, { ...(error.details as object), line });
}

class ShareBuilder {
  private readonly groups = new Map<number, { json: string[]; requestIds: string[] }>();
  private count = 0;

  /** The stream's schema, compiled (once per thread and schema). */
  private readonly validate: EventValidator | undefined;

  constructor(private readonly shape: StreamShape) {
    this.validate = shape.schema === undefined ? undefined : eventValidator(shape.schema);
  }

  add(event: unknown, index: number): void {
    const { row, json } = checkEvent(this.shape, event, index, this.validate);
    // An event with an id always goes where that id went before, so its partition spots the duplicate.
    const by = this.shape.keyField ?? this.shape.idField;
    const group = by === undefined ? index % this.shape.partitions : hashPartition(row[by], this.shape.partitions);
    let share = this.groups.get(group);
    if (!share) this.groups.set(group, (share = { json: [], requestIds: [] }));
    share.json.push(json);
    if (this.shape.idField !== undefined) share.requestIds.push(eventRequestId(row[this.shape.idField]));
    this.count += 1;
  }

  encode(digests: boolean): EncodedBody {
    const shares: EncodedShare[] = [];
    for (const [group, { json, requestIds }] of this.groups) {
      if (this.shape.idField !== undefined) {
        shares.push({ group, count: json.length, events: json.map((one, i) => ({ payload: encodeBlockOfJson([one]), requestId: requestIds[i]! })) });
        continue;
      }
      const payload = encodeBlockOfJson(json);
      shares.push({ group, count: json.length, payload, ...(digests ? { digest: createHash("sha256").update(payload).digest("base64url").slice(0, 22) } : {}) });
    }
    return { count: this.count, shares };
  }
}
