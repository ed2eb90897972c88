/**
 * How a block's events are laid out in the log: one JSON array, serialized once at ingest and parsed
 * once per batch. Nothing re-serializes per event.
 */
import type { Row } from "./operators/operator.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeBlock(events: readonly Row[]): Uint8Array {
  return encoder.encode(JSON.stringify(events));
}

/**
 * A block of events already serialized one by one (as ingest checks them): the same bytes as
 * {@link encodeBlock} of the events themselves.
 */
export function encodeBlockOfJson(events: readonly string[]): Uint8Array {
  return encoder.encode(`[${events.join(",")}]`);
}

export function decodeBlock(payload: Uint8Array): Row[] {
  return JSON.parse(decoder.decode(payload)) as Row[];
}
