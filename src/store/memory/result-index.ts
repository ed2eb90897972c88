/**
 * The newest result frames of each job, held in memory: the whole result log of the memory store, and
 * the read side of the embedded store's result files.
 */
import { assertHistory, assertNextSeq, DEFAULT_RESULT_HISTORY, DEFAULT_RESULT_HISTORY_ROWS } from "../contract.js";
import type { ResultFrame } from "../types.js";

interface JobFrames {
  /** frames[start..] are retained; the dead prefix is cut off in bulk so trimming stays O(1) per frame. */
  frames: ResultFrame[];
  start: number;
  last: number;
  /** Rows of the retained frames. */
  rows: number;
}

export class ResultIndex {
  private readonly jobs = new Map<string, JobFrames>();

  /**
   * @param history frames kept per job; older ones are forgotten.
   * @param historyRows rows kept per job over its frames; older frames are forgotten (never the newest).
   */
  constructor(
    readonly history: number = DEFAULT_RESULT_HISTORY,
    readonly historyRows: number = DEFAULT_RESULT_HISTORY_ROWS,
  ) {
    assertHistory("resultHistory", history);
    assertHistory("resultHistoryRows", historyRows);
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
   * Appends a frame read back from storage. The first frame of a job may carry any seq, because a
   * compacted file begins at the oldest retained frame rather than at 1.
   */
  restore(jobId: string, frame: ResultFrame): void {
    if (this.jobs.has(jobId)) assertNextSeq(jobId, this.lastSeq(jobId), frame.seq);
    this.push(jobId, frame);
  }

  /** Retained frames with seq >= fromSeq, oldest first, at most `limit`. */
  read(jobId: string, fromSeq: number, limit: number): ResultFrame[] {
    const job = this.jobs.get(jobId);
    if (job === undefined || !(limit > 0)) return [];
    const first = job.frames[job.start]!.seq;
    // Seqs are contiguous, so the wanted frame's position is arithmetic, not a search.
    const from = job.start + Math.max(0, Math.ceil(fromSeq) - first);
    return job.frames.slice(from, from + limit);
  }

  /** The oldest retained and the newest seq (0 and 0 when none yet). */
  bounds(jobId: string): { first: number; last: number } {
    const job = this.jobs.get(jobId);
    if (job === undefined) return { first: 0, last: 0 };
    return { first: job.frames[job.start]!.seq, last: job.last };
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
      job = { frames: [], start: 0, last: 0, rows: 0 };
      this.jobs.set(jobId, job);
    }
    job.frames.push(frame);
    job.last = frame.seq;
    job.rows += frame.rows.length;
    while (job.frames.length - job.start > this.history || (job.rows > this.historyRows && job.frames.length - job.start > 1)) {
      job.rows -= job.frames[job.start]!.rows.length;
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

