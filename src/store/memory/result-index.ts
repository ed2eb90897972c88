/**
 * The newest result frames of each job, held in memory: the whole result log of the memory store, and
 * the read side of the embedded store's result files.
 *
 * Seqs are appended 1, 2, 3, ... but the history has holes: a frame with no rows is kept only while it
 * is the newest (see ResultHistoryBounds), so a job that emits rarely keeps its few frames with rows.
 *
 *   appended: 1[rows] 2[] 3[] 4[rows] 5[]     retained: 1 4 5     first 1, last 5
 *   append 6[rows]:                           retained: 1 4 6     (5 was empty and is no longer newest)
 */
import { assertNextSeq, resultHistoryBounds, type ResultHistoryBounds } from "../contract.js";
import type { ResultFrame } from "../types.js";

interface JobFrames {
  /** frames[start..] are retained; the dead prefix is cut off in bulk so trimming stays O(1) per frame. */
  frames: ResultFrame[];
  start: number;
  /** The oldest seq the history covers: every frame with rows from here to `last` is retained. */
  first: number;
  last: number;
  /** Rows of the retained frames. */
  rows: number;
}

export class ResultIndex {
  private readonly jobs = new Map<string, JobFrames>();
  readonly bounds: ResultHistoryBounds;

  /** @param bounds how much history to keep per job (defaults: see contract.ts). */
  constructor(bounds: Partial<ResultHistoryBounds> = {}) {
    this.bounds = resultHistoryBounds({ resultHistory: bounds.frames, resultHistoryRows: bounds.rows, resultHistoryAgeMs: bounds.ageMs });
  }

  /** How many frames of the job are retained. */
  retainedCount(jobId: string): number {
    const job = this.jobs.get(jobId);
    return job === undefined ? 0 : job.frames.length - job.start;
  }

  /** The newest seq of the job (0 when none yet). */
  lastSeq(jobId: string): number {
    return this.jobs.get(jobId)?.last ?? 0;
  }

  /** Appends a frame whose seq must be the job's last seq + 1; throws otherwise. */
  append(jobId: string, frame: ResultFrame): void {
    assertNextSeq(jobId, this.lastSeq(jobId), frame.seq);
    this.push(jobId, frame);
  }

  /**
   * Appends a frame read back from storage: any seq past the job's last, since a compacted file holds
   * the retained frames only. `first`, when the file says it, is where the job's history begins.
   */
  restore(jobId: string, frame: ResultFrame, first?: number): void {
    const job = this.jobs.get(jobId);
    if (job !== undefined && frame.seq <= job.last) throw new Error(`result frame seq ${frame.seq} for job ${jobId} is not after ${job.last}`);
    this.push(jobId, frame);
    if (job === undefined && first !== undefined && first < frame.seq) this.jobs.get(jobId)!.first = first;
  }

  /** Retained frames with seq >= fromSeq, oldest first, at most `limit`. */
  read(jobId: string, fromSeq: number, limit: number): ResultFrame[] {
    const job = this.jobs.get(jobId);
    if (job === undefined || !(limit > 0)) return [];
    // Binary search: the retained seqs increase, with holes where frames without rows were.
    let low = job.start;
    let high = job.frames.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (job.frames[middle]!.seq < fromSeq) low = middle + 1;
      else high = middle;
    }
    return job.frames.slice(low, low + limit);
  }

  /** The newest `limit` retained frames, oldest first. */
  readNewest(jobId: string, limit: number): ResultFrame[] {
    const job = this.jobs.get(jobId);
    if (job === undefined || !(limit > 0)) return [];
    return job.frames.slice(Math.max(job.start, job.frames.length - Math.floor(limit)));
  }

  /** The oldest seq the history covers and the newest seq (0 and 0 when none yet). */
  seqBounds(jobId: string): { first: number; last: number } {
    const job = this.jobs.get(jobId);
    if (job === undefined || job.frames.length === job.start) return { first: 0, last: 0 };
    return { first: job.first, last: job.last };
  }

  /** Every retained frame of the job, oldest first. */
  retained(jobId: string): ResultFrame[] {
    const job = this.jobs.get(jobId);
    return job === undefined ? [] : job.frames.slice(job.start);
  }

  drop(jobId: string): void {
    this.jobs.delete(jobId);
  }

  private push(jobId: string, frame: ResultFrame): void {
    let job = this.jobs.get(jobId);
    if (job === undefined) {
      job = { frames: [], start: 0, first: frame.seq, last: 0, rows: 0 };
      this.jobs.set(jobId, job);
    }
    // A frame without rows was kept only as the newest: it is not history.
    if (job.frames.length > job.start && job.frames[job.frames.length - 1]!.rows.length === 0) job.frames.pop();
    job.frames.push(frame);
    job.last = frame.seq;
    job.rows += frame.rows.length;
    const { frames, rows, ageMs } = this.bounds;
    const oldestKept = ageMs === undefined ? -Infinity : frame.batchTime - ageMs;
    for (;;) {
      const count = job.frames.length - job.start;
      const oldest = job.frames[job.start]!;
      if (!(count > frames || (count > 1 && (job.rows > rows || oldest.batchTime < oldestKept)))) break;
      job.rows -= oldest.rows.length;
      job.first = oldest.seq + 1;
      job.frames[job.start] = RELEASED;
      job.start += 1;
    }
    if (job.start >= 64 && job.start * 2 >= job.frames.length) {
      job.frames = job.frames.slice(job.start);
      job.start = 0;
    }
  }
}

/** What a forgotten frame's slot holds until the dead prefix is cut off, so its rows are freed now. */
const RELEASED: ResultFrame = { seq: 0, batchTime: 0, window: null, rows: [] };
