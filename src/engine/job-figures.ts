/**
 * A job's figures for a metrics scrape: what GET /v1/jobs/:id tells of where it stands now, plus its
 * lag per input stream (events stored and not yet in a cut batch).
 */
import type { JobFigures } from "../metrics/metrics.js";
import type { JobRecord, StreamLog } from "../store/types.js";
import type { JobGenerator } from "./scheduler/job-generator.js";
import type { BlockEventCounts } from "./block-event-counts.js";

export interface FigureSources {
  readonly log: StreamLog;
  readonly blockEvents: BlockEventCounts;
  readonly now: number;
  readonly subscribers: (jobId: string) => number;
  readonly subscriberBufferedBytes: (jobId: string) => number;
}

/** `generator` is undefined for a job that does not run here (failed, stopped, or not yet recovered). */
export async function jobFigures(record: JobRecord, generator: JobGenerator | undefined, sources: FigureSources): Promise<JobFigures> {
  const known = { name: record.id, status: record.status, subscribers: sources.subscribers(record.id), subscriberBufferedBytes: sources.subscriberBufferedBytes(record.id) };
  if (!generator) return known;
  const progress = generator.progress.toJSON();
  return {
    ...known,
    // Batches cut and not done, less the one running (the next starts as soon as one ends).
    batchesWaiting: Math.max(0, progress.pendingBatches - 1),
    delaySeconds: generator.delayMs() / 1000,
    batchIntervalSeconds: generator.job.plan.batchInterval.ms / 1000,
    stalled: progress.stalled !== null,
    lag: await lagOf(generator, sources),
    lastCheckpointAgeSeconds: Math.max(0, sources.now - (progress.lastCheckpoint?.batchTime ?? record.createdAt)) / 1000,
  };
}

async function lagOf(generator: JobGenerator, { log, blockEvents }: FigureSources): Promise<Map<string, number>> {
  const { slots } = generator.job;
  const cut = generator.cutUpTo();
  const ends = await Promise.all(slots.map((slot) => log.endOffset(slot.stream, slot.partition)));
  const lag = new Map<string, number>();
  slots.forEach((slot, i) => {
    const events = blockEvents.eventsBetween(slot.stream, slot.partition, cut[i]!, ends[i]!);
    lag.set(slot.stream, (lag.get(slot.stream) ?? 0) + events);
  });
  return lag;
}
