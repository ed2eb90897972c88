/**
 * One event checked against its stream (a JSON object, with the fields the stream routes, recognises
 * and times it by) and against the event limits, and given back with its JSON text, serialized once.
 */
import { createHash } from "node:crypto";
import type { StreamDefinition } from "../store/types.js";
import { EngineError } from "./errors.js";
import { checkEventLimits } from "./event-limits.js";
import type { EventValidator } from "./event-schema.js";
import type { Row } from "./operators/operator.js";

/** What checking, routing and encoding an event need to know of its stream. */
export type StreamShape = Pick<StreamDefinition, "name" | "partitions" | "keyField" | "idField" | "eventTimeField" | "schema">;

/**
 * Checks an event against its stream (its fields, then its schema, through `validate`: the stream's
 * compiled schema, when it has one) and the event limits; gives it back with its JSON text.
 */
export function checkEvent(stream: StreamShape, event: unknown, index: number, validate?: EventValidator): { row: Row; json: string } {
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
  // After the limits, so that the schema only ever runs on an event of bounded size and depth.
  const mismatch = "problem" in checked ? undefined : validate?.(row);
  if (mismatch) {
    const what = mismatch.field === "" ? "" : ` field "${mismatch.field}"`;
    throw new EngineError(
      "INVALID_EVENT",
      `event ${index}${what} ${mismatch.expected}, by the schema of stream "${stream.name}" (see GET /v1/streams/${stream.name}); nothing of this request was stored`,
      { index, field: mismatch.field, expected: mismatch.expected },
    );
  }
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
 * The request id of an event's block: a digest of its id's JSON text (so 1 and "1" differ), of fixed
 * length whatever characters the id holds.
 */
export function eventRequestId(id: unknown): string {
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
