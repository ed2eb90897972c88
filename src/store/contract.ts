/**
 * The rules every store implementation (memory, embedded, redis) keeps alike, in one place: which
 * names, partitions, batch times, request ids, lease times to live and counters a store accepts
 * (each refused with a RangeError that names the value and the rule), the defaults of its options,
 * and how many complete checkpoints it keeps. The interfaces themselves are in types.ts.
 */
import type { JobCounters } from "./types.js";

// Names

/** Stream names and job ids, optionally "<tenant>~<name>": safe as a file name on every platform we run on. */
const NAME = /^(?:[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}~)?[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;

export function isName(name: string): boolean {
  return NAME.test(name);
}

/** Throws unless `name` is a valid stream name or job id. */
export function assertName(what: "stream" | "job" | "node", name: string): void {
  if (typeof name !== "string" || !NAME.test(name)) {
    throw new RangeError(`invalid ${what} name ${JSON.stringify(name)}: use 1-64 of [a-zA-Z0-9_.-], starting with a letter or digit (optionally after \"<tenant>~\")`);
  }
}

/** Throws unless `partition` is a non-negative integer. */
export function assertPartition(partition: number): void {
  if (!Number.isSafeInteger(partition) || partition < 0) {
    throw new RangeError(`partition must be a non-negative integer, got ${partition}`);
  }
}

/** Throws unless `batchTime` is an integer (it becomes a directory name). */
export function assertBatchTime(batchTime: number): void {
  if (!Number.isSafeInteger(batchTime)) {
    throw new RangeError(`batchTime must be an integer, got ${batchTime}`);
  }
}

// Stream logs

/** Longest request id a store accepts, in UTF-8 bytes; it is stored with every block. */
export const MAX_REQUEST_ID_BYTES = 1024;

/** How long a request id is remembered when the store is not told otherwise: 24 hours. */
export const DEFAULT_IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;

/** Throws unless `requestId` is a non-empty string of at most {@link MAX_REQUEST_ID_BYTES} bytes. */
export function assertRequestId(requestId: unknown): asserts requestId is string {
  if (typeof requestId !== "string" || requestId.length === 0) {
    throw new RangeError(`requestId must be a non-empty string, got ${JSON.stringify(requestId)}`);
  }
  const bytes = Buffer.byteLength(requestId, "utf8");
  if (bytes > MAX_REQUEST_ID_BYTES) {
    throw new RangeError(`requestId is ${bytes} bytes long; at most ${MAX_REQUEST_ID_BYTES} are allowed`);
  }
}

/** Throws unless `retentionMs` is a positive whole number of milliseconds. */
export function assertRetention(retentionMs: number): void {
  if (!Number.isSafeInteger(retentionMs) || retentionMs < 1) {
    throw new RangeError(`idempotencyRetentionMs must be a positive integer, got ${retentionMs}`);
  }
}

/** Throws unless `beforeOffset` is a number a trim can act on (any number; it is rounded up). */
export function assertTrimPoint(beforeOffset: number): void {
  if (typeof beforeOffset !== "number" || Number.isNaN(beforeOffset)) {
    throw new RangeError(`beforeOffset must be a number, got ${String(beforeOffset)}`);
  }
}

// Result logs

/** Frames kept per job when the store is not told otherwise. */
export const DEFAULT_RESULT_HISTORY = 10_000;
/**
 * Rows kept per job (over all its retained frames) when the store is not told otherwise, so that a job
 * whose every frame is wide (a window's every key, every second) cannot fill memory. The newest frame
 * is always kept, whatever its size.
 */
export const DEFAULT_RESULT_HISTORY_ROWS = 1_000_000;

/**
 * Seqs back from the newest within which frames without rows are kept too, so that a subscriber on
 * another node (which reads the log) or one that reconnects soon after a disconnect still sees every
 * seq; older ones are not history.
 */
export const DEFAULT_RESULT_RECENT_SEQS = 1_000;

/**
 * How a result history is bounded. Frames with no rows are not history: one is kept only while its seq
 * is among the newest `recentSeqs` (so the newest seq is always readable), and takes no room in the
 * bounds below. Of frames with rows, a job keeps the newest `frames`, no more than `rows` rows over
 * them, and none whose batch time is more than `ageMs` before the newest frame's; the newest frame is
 * always kept.
 */
export interface ResultHistoryBounds {
  readonly frames: number;
  readonly rows: number;
  /** Undefined: no age bound. */
  readonly ageMs?: number;
  readonly recentSeqs: number;
}

/** Store options that bound the result history (see {@link ResultHistoryBounds}). */
export interface ResultHistoryOptions {
  readonly resultHistory?: number;
  readonly resultHistoryRows?: number;
  readonly resultHistoryAgeMs?: number;
  readonly resultRecentSeqs?: number;
}

/** The bounds from a store's options, each checked; defaults for the ones not given. */
export function resultHistoryBounds(options: ResultHistoryOptions): ResultHistoryBounds {
  const bounds = {
    frames: options.resultHistory ?? DEFAULT_RESULT_HISTORY,
    rows: options.resultHistoryRows ?? DEFAULT_RESULT_HISTORY_ROWS,
    ageMs: options.resultHistoryAgeMs,
    recentSeqs: options.resultRecentSeqs ?? DEFAULT_RESULT_RECENT_SEQS,
  };
  assertHistory("resultHistory", bounds.frames);
  assertHistory("resultHistoryRows", bounds.rows);
  if (bounds.ageMs !== undefined) assertHistory("resultHistoryAgeMs", bounds.ageMs);
  assertHistory("resultRecentSeqs", bounds.recentSeqs);
  return bounds;
}

/** Checks a history bound given as an option. */
export function assertHistory(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
}

/** Throws unless `seq` follows `last`: result seqs are 1, 2, 3, ... per job with no gaps. */
export function assertNextSeq(jobId: string, last: number, seq: number): void {
  if (seq !== last + 1) {
    throw new Error(`result frame seq ${seq} for job ${jobId} is out of order: the next seq must be ${last + 1}`);
  }
}

// Leases and membership

/** Throws unless `ttlMs` is a positive whole number of milliseconds. */
export function assertTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) throw new RangeError(`a lease or membership time to live must be a positive integer of ms, got ${ttlMs}`);
}

// Checkpoints

/** Complete checkpoints kept per job: the newest, and one before it in case the newest cannot be read. */
export const KEPT_COMPLETE_CHECKPOINTS = 2;

/** The four job counters a checkpoint carries. */
const FIELDS = ["batches", "events", "rowErrors", "lateEvents"] as const;

/** Throws unless every counter is a non-negative safe integer: a store must not commit nonsense. */
export function assertCounters(counters: JobCounters): void {
  for (const field of FIELDS) {
    const value = counters[field];
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`counter ${field} must be a non-negative integer, got ${value}`);
  }
}

/**
 * The counters in `value` (parsed JSON, read back from a file or from Redis), or undefined when it
 * does not hold all four non-negative integers: such a value counts as no counters (the job counts
 * from 0 again) rather than being shown to users as totals.
 */
export function countersFrom(value: unknown): JobCounters | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const counters = { batches: record.batches, events: record.events, rowErrors: record.rowErrors, lateEvents: record.lateEvents };
  for (const field of FIELDS) {
    const n = counters[field];
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) return undefined;
  }
  return counters as JobCounters;
}
