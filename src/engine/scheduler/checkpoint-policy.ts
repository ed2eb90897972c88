/**
 * When a job checkpoints: every N batches, N chosen so that checkpoints fall on slide boundaries and
 * are at least `minIntervalMs` apart (the paper's default: the smallest multiple of the slide >= 10 s).
 */
import type { Duration } from "../time.js";

export function checkpointEveryBatches(batchInterval: Duration, slide: Duration, minIntervalMs: number): number {
  const slides = Math.max(1, Math.ceil(minIntervalMs / slide.ms));
  return Math.max(1, (slides * slide.ms) / batchInterval.ms);
}

export function isCheckpointBatch(batchTime: number, batchInterval: Duration, everyBatches: number): boolean {
  return Math.round(batchTime / batchInterval.ms) % everyBatches === 0;
}
