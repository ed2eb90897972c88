/**
 * The job counters a checkpoint carries, checked when read back from a file or from Redis: anything
 * that is not four non-negative integers is treated as no counters (the job counts from 0 again)
 * rather than shown to users as totals.
 */
import type { JobCounters } from "../types.js";

const FIELDS = ["batches", "events", "rowErrors", "lateEvents"] as const;

/** Throws unless every counter is a non-negative safe integer: a store must not commit nonsense. */
export function assertCounters(counters: JobCounters): void {
  for (const field of FIELDS) {
    const value = counters[field];
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`counter ${field} must be a non-negative integer, got ${value}`);
  }
}

/** The counters in `value` (parsed JSON), or undefined when it does not hold all four. */
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
