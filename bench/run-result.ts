/** What one implementation's run over a batch source gives: its answers and the time of each batch. */
import type { BatchSource } from "./corpus.js";
import { differenceOf, type Answer } from "./workloads.js";

export interface RunResult {
  /** Answers by batch index (1-based): the window (or batch) ending at that batch. */
  readonly answers: Map<number, Answer>;
  /** Wall-clock milliseconds spent on each batch, by batch index. */
  readonly batchMs: number[];
}

/** Records per second over batches `from`..last (the steady state, after warm-up or window fill). */
export function recordsPerSec(run: RunResult, source: BatchSource, from: number): number {
  return recordsPerSecOver(run, source, range(from, source.batches));
}

/** Records per second over the given batches. */
export function recordsPerSecOver(run: RunResult, source: BatchSource, batches: readonly number[]): number {
  let ms = 0;
  for (const b of batches) ms += run.batchMs[b] ?? 0;
  return ms > 0 ? (batches.length * source.recordsPerBatch * 1000) / ms : 0;
}

/** Mean milliseconds of the given batches. */
export function meanBatchMs(run: RunResult, batches: readonly number[]): number {
  let ms = 0;
  for (const b of batches) ms += run.batchMs[b] ?? 0;
  return ms / Math.max(1, batches.length);
}

/**
 * Checks `actual` against the reference answers for every batch in `batches`; returns the mismatches
 * (at most `limit`), each naming the batch and the difference.
 */
export function mismatches(reference: RunResult, actual: RunResult, batches: Iterable<number>, limit = 5): string[] {
  const found: string[] = [];
  for (const b of batches) {
    const expected = reference.answers.get(b);
    const got = actual.answers.get(b);
    if (expected === undefined) continue;
    const difference = got === undefined ? "no answer" : differenceOf(expected, got);
    if (difference !== undefined) found.push(`batch ${b}: ${difference}`);
    if (found.length >= limit) break;
  }
  return found;
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}
