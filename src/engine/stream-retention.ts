/**
 * A stream's retention: how long, and how many bytes of, its blocks are kept whether or not a job
 * still needs them ("forever": all of them). A block leaves the log only once it is outside the
 * retention (older than `time`, or beyond the newest `bytes`) and every job reading the stream has
 * checkpointed past it (input-retention.ts). `bytes` bounds the whole stream: each partition keeps
 * its equal share.
 */
import { EngineError } from "./errors.js";

/** Retention as a user writes it and the catalogue keeps it. */
export type RetentionSpec = "forever" | { readonly time?: string; readonly bytes?: string };

/** The retention of a stream declared without one, unless the server is told otherwise. */
export const DEFAULT_RETENTION_TIME = "24h";
export const DEFAULT_RETENTION_BYTES = "64MiB";
export const DEFAULT_RETENTION: RetentionSpec = { time: DEFAULT_RETENTION_TIME, bytes: DEFAULT_RETENTION_BYTES };

/** Retention as the engine applies it; null: no bound of that kind. */
export interface Retention {
  readonly timeMs: number | null;
  readonly bytes: number | null;
}

const TIME_UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const TIME_TEXT = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const BYTE_UNITS = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40 } as const;
const BYTES_TEXT = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?$/;

const TIME_HINT = 'write a duration such as "30m", "24h" or "7d"';
const BYTES_HINT = 'write a size such as "500MiB", "1GiB" or "10GB"';

/** Milliseconds of a retention time such as "7d"; undefined when the text is not one. */
export function parseRetentionTime(text: string): number | undefined {
  const match = TIME_TEXT.exec(text.trim());
  if (!match) return undefined;
  const ms = Math.round(Number(match[1]) * TIME_UNIT_MS[match[2] as keyof typeof TIME_UNIT_MS]);
  return ms > 0 ? ms : undefined;
}

/** Bytes of a size such as "1GiB" (no unit: bytes); undefined when the text is not one. */
export function parseBytes(text: string): number | undefined {
  const match = BYTES_TEXT.exec(text.trim());
  if (!match) return undefined;
  const bytes = Math.floor(Number(match[1]) * BYTE_UNITS[(match[2] ?? "B") as keyof typeof BYTE_UNITS]);
  return bytes > 0 && Number.isSafeInteger(bytes) ? bytes : undefined;
}

/**
 * Checks a retention a user gave (`where` names it in messages) and returns it as the catalogue
 * keeps it; throws INVALID_STREAM naming the field and how to write it.
 */
export function checkRetention(value: unknown, where = "retention"): RetentionSpec {
  if (value === "forever") return "forever";
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid(`${where} must be "forever" or an object such as {"time": "7d", "bytes": "1GiB"}`);
  }
  const { time, bytes, ...rest } = value as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw invalid(`${where} has unknown field(s) ${unknown.join(", ")}: it takes "time" and "bytes"`);
  if (time === undefined && bytes === undefined) throw invalid(`${where} needs "time", "bytes" or both (or write "forever")`);
  if (time !== undefined && (typeof time !== "string" || parseRetentionTime(time) === undefined)) throw invalid(`${where}.time ${JSON.stringify(time)} is not a duration: ${TIME_HINT}`);
  const byteText = typeof bytes === "number" ? String(bytes) : bytes;
  if (byteText !== undefined && (typeof byteText !== "string" || parseBytes(byteText) === undefined)) throw invalid(`${where}.bytes ${JSON.stringify(bytes)} is not a size: ${BYTES_HINT}`);
  return { ...(time === undefined ? {} : { time: time as string }), ...(byteText === undefined ? {} : { bytes: byteText }) };
}

/** The bounds a retention spec sets (a checked spec: see checkRetention). */
export function retentionOf(spec: RetentionSpec): Retention {
  if (spec === "forever") return { timeMs: null, bytes: null };
  return { timeMs: spec.time === undefined ? null : (parseRetentionTime(spec.time) ?? null), bytes: spec.bytes === undefined ? null : (parseBytes(spec.bytes) ?? null) };
}

function invalid(message: string): EngineError {
  return new EngineError("INVALID_STREAM", message);
}
