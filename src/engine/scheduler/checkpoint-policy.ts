/**
 * When a job checkpoints: every N batches, N chosen so that checkpoints fall on slide boundaries and
 * are at least `minIntervalMs` apart (the paper's default: the smallest multiple of the slide >= 10 s).
 */
import type { Duration } from "../time.js";

export function checkpointEveryBatches(batchInterval: Duration, slide: Duration, minIntervalMs: number): number {
  const slides = Math.max(1, Math.ceil(minIntervalMs / slide.ms));
  return Math.max(1, (slides * slide.ms) / batchInterval.ms);
}

/**
 * `phaseBatches`: how many batches after each multiple of `everyBatches` the checkpoint falls (see
 * checkpointPhase); 0: on the multiples themselves.
 */
export function isCheckpointBatch(batchTime: number, batchInterval: Duration, everyBatches: number, phaseBatches = 0): boolean {
  return (Math.round(batchTime / batchInterval.ms) - phaseBatches) % everyBatches === 0;
}

/**
 * Where in its checkpoint period a job checkpoints, in batches: a whole number of slides picked by a
 * hash of the job's name. With every job on phase 0, every job on a node snapshots all its state in
 * the same batch, and that burst (hundreds of jobs: seconds of work on the workers) delays every
 * batch behind it; spread over the period, each batch carries a small share of it. The phase is a
 * function of the name alone, so a job checkpoints at the same batch times after a restart.
 */
export function checkpointPhase(jobId: string, batchInterval: Duration, slide: Duration, everyBatches: number): number {
  const batchesPerSlide = Math.max(1, Math.round(slide.ms / batchInterval.ms));
  const slides = Math.max(1, Math.floor(everyBatches / batchesPerSlide));
  let hash = 2166136261;
  for (let i = 0; i < jobId.length; i++) hash = Math.imul(hash ^ jobId.charCodeAt(i), 16777619);
  return ((hash >>> 0) % slides) * batchesPerSlide;
}
