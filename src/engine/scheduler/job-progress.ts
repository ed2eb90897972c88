/**
 * What GET /v1/jobs/:id reports about a running job: its last batch and running totals. The totals
 * cover the job's whole life: checkpoints carry them, and a restarted job continues from its
 * checkpoint's totals plus the batches it replays.
 */
import type { JobCounters } from "../../store/types.js";
import type { RowErrorReport } from "../job-pipeline.js";
import type { CatchUpLag } from "./catch-up.js";

export interface LastBatch {
  readonly batchTime: number;
  readonly events: number;
  readonly processingMs: number;
  readonly schedulingDelayMs: number;
}

/** What one batch adds to the totals. */
export interface BatchCounts {
  readonly events: number;
  readonly rowErrors: RowErrorReport;
  /** Events dropped as late by an event-time step in this batch. */
  readonly lateEvents?: number;
}

export interface BatchDone extends LastBatch, BatchCounts {
  readonly stateSize: number;
  readonly lastSeq: number;
  readonly intervalMs: number;
}

export class JobProgress {
  private last: LastBatch | undefined;
  private batches = 0;
  private events = 0;
  private pending = 0;
  private skippedCuts = 0;
  private stateSize = 0;
  private lastSeq = 0;
  private inputRate = 0;
  private rowErrors = 0;
  private lateEvents = 0;
  private lastRowError: string | undefined;
  /** The first failed row of the latest batch that had one. */
  private firstRowErrorOfLatest: string | undefined;
  private stall: string | undefined;
  /** `tookMs` null: the checkpoint a restarted job recovered from, written before this process began. */
  private lastCheckpoint: { batchTime: number; tookMs: number | null } | undefined;

  /** Set while the job works through history (catch-up.ts): what its latest cut left behind. */
  private catchUp: { behind: CatchUpLag | undefined; lastBatchTime: number | undefined } | undefined;

  /**
   * The job is catching up; `behind`: what its latest cut left (undefined before the first cut);
   * `lastBatchTime`: the batch whose cut reached the end, once one did: the job is live once it is done.
   */
  catchingUp(behind: CatchUpLag | undefined, lastBatchTime?: number): void {
    this.catchUp = { behind, lastBatchTime };
  }

  /** What a catching-up job has yet to cut; undefined once it is live. */
  catchUpLag(): CatchUpLag | null | undefined {
    return this.catchUp === undefined ? undefined : (this.catchUp.behind ?? null);
  }

  /** After a restart: frames continue from here. */
  resumedAt(lastSeq: number): void {
    this.lastSeq = lastSeq;
  }

  checkpointed(batchTime: number, tookMs: number | null): void {
    this.lastCheckpoint = { batchTime, tookMs };
  }

  batchCut(): void {
    this.pending += 1;
  }

  /** A batch time at which nothing was cut: the job had MAX_WAITING_BATCHES waiting. */
  cutSkipped(): void {
    this.skippedCuts += 1;
  }

  recovered(): void {
    this.stall = undefined;
  }

  stalled(reason: string): void {
    this.stall = reason;
  }

  /** After a restart: the totals as of the checkpoint the job recovered from. */
  restored(counters: JobCounters): void {
    ({ batches: this.batches, events: this.events, rowErrors: this.rowErrors, lateEvents: this.lateEvents } = counters);
  }

  /** The totals as they stand, for a checkpoint to carry. */
  counters(): JobCounters {
    return { batches: this.batches, events: this.events, rowErrors: this.rowErrors, lateEvents: this.lateEvents };
  }

  /** A batch recorded after the recovered checkpoint ran again while recovering: it counts now. */
  replayed(batch: BatchCounts & { readonly lastSeq: number }): void {
    this.count(batch);
    this.lastSeq = batch.lastSeq;
  }

  batchDone(done: BatchDone): void {
    this.pending -= 1;
    this.count(done);
    this.stateSize = done.stateSize;
    this.lastSeq = done.lastSeq;
    this.inputRate = (done.events * 1000) / done.intervalMs;
    this.last = { batchTime: done.batchTime, events: done.events, processingMs: done.processingMs, schedulingDelayMs: done.schedulingDelayMs };
    if (this.catchUp?.lastBatchTime !== undefined && done.batchTime >= this.catchUp.lastBatchTime) this.catchUp = undefined;
  }

  private count(batch: BatchCounts): void {
    this.batches += 1;
    this.events += batch.events;
    this.rowErrors += batch.rowErrors.count;
    this.lateEvents += batch.lateEvents ?? 0;
    if (batch.rowErrors.last !== undefined) this.lastRowError = batch.rowErrors.last;
    if (batch.rowErrors.first !== undefined) this.firstRowErrorOfLatest = batch.rowErrors.first;
  }

  toJSON() {
    return {
      lastBatch: this.last ?? null,
      batchesProcessed: this.batches,
      eventsProcessed: this.events,
      pendingBatches: this.pending,
      /** Batch times not cut because the job was too far behind; their events went into the next batch. */
      skippedBatchTimes: this.skippedCuts,
      inputRatePerSec: this.inputRate,
      stateSize: this.stateSize,
      lastSeq: this.lastSeq,
      rowErrors: { count: this.rowErrors, last: this.lastRowError ?? null },
      lastRowError: this.firstRowErrorOfLatest ?? null,
      lateEvents: this.lateEvents,
      stalled: this.stall ?? null,
      lastCheckpoint: this.lastCheckpoint ?? null,
      /** Whether the job is still working through the history it started from (see catchUp in JobView). */
      catchingUp: this.catchUp !== undefined,
    };
  }
}
