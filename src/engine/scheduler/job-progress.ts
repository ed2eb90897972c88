/** What GET /v1/jobs/:id reports about a running job: its last batch and running totals. */
import type { RowErrorReport } from "../job-pipeline.js";

export interface LastBatch {
  readonly batchTime: number;
  readonly events: number;
  readonly processingMs: number;
  readonly schedulingDelayMs: number;
}

export interface BatchDone extends LastBatch {
  readonly rowErrors: RowErrorReport;
  readonly stateSize: number;
  readonly lastSeq: number;
  readonly intervalMs: number;
  /** Events dropped as late by an event-time step in this batch. */
  readonly lateEvents?: number;
}

export class JobProgress {
  private last: LastBatch | undefined;
  private batches = 0;
  private events = 0;
  private pending = 0;
  private stateSize = 0;
  private lastSeq = 0;
  private inputRate = 0;
  private rowErrors = 0;
  private lateEvents = 0;
  private lastRowError: string | undefined;
  private stall: string | undefined;
  /** `tookMs` null: the checkpoint a restarted job recovered from, written before this process began. */
  private lastCheckpoint: { batchTime: number; tookMs: number | null } | undefined;

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

  recovered(): void {
    this.stall = undefined;
  }

  stalled(reason: string): void {
    this.stall = reason;
  }

  batchDone(done: BatchDone): void {
    this.pending -= 1;
    this.batches += 1;
    this.events += done.events;
    this.stateSize = done.stateSize;
    this.lastSeq = done.lastSeq;
    this.inputRate = (done.events * 1000) / done.intervalMs;
    this.rowErrors += done.rowErrors.count;
    this.lateEvents += done.lateEvents ?? 0;
    if (done.rowErrors.last !== undefined) this.lastRowError = done.rowErrors.last;
    this.last = { batchTime: done.batchTime, events: done.events, processingMs: done.processingMs, schedulingDelayMs: done.schedulingDelayMs };
  }

  toJSON() {
    return {
      lastBatch: this.last ?? null,
      batchesProcessed: this.batches,
      eventsProcessed: this.events,
      pendingBatches: this.pending,
      inputRatePerSec: this.inputRate,
      stateSize: this.stateSize,
      lastSeq: this.lastSeq,
      rowErrors: { count: this.rowErrors, last: this.lastRowError ?? null },
      lateEvents: this.lateEvents,
      stalled: this.stall ?? null,
      lastCheckpoint: this.lastCheckpoint ?? null,
    };
  }
}
