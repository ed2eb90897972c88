/**
 * The retained result frames of each job, held in memory: the whole result log of the memory store,
 * and the read side of the embedded store's result files.
 *
 * Seqs are appended 1, 2, 3, ... but frames without rows are not history (ResultHistoryBounds): they
 * are kept apart, only while among the newest `recentSeqs` seqs, and never count against the history's
 * bounds. A job that emits rarely therefore keeps its few frames with rows. With recentSeqs 3:
 *
 *   appended: 1[rows] 2[] 3[] 4[rows] 5[] 6[] 7[]
 *   history:  1 4            recent without rows: 5 6 7        reads: 1 4 5 6 7
 *   first 1 (every frame with rows from 1 on is kept), last 7
 */
import { assertNextSeq, resultHistoryBounds, type ResultHistoryBounds, type ResultHistoryOptions } from "../contract.js";
import type { ResultFrame } from "../types.js";
import { FrameQueue } from "./frame-queue.js";

interface JobFrames {
  /** Retained frames with rows. */
  readonly history: FrameQueue;
  /** Retained frames without rows: those among the newest recentSeqs seqs. */
  readonly recent: FrameQueue;
  /** The oldest seq the history covers: every frame with rows from here to `last` is retained. */
  first: number;
  last: number;
  /** Rows of the retained frames. */
  rows: number;
}

export class ResultIndex {
  private readonly jobs = new Map<string, JobFrames>();
  readonly bounds: ResultHistoryBounds;

  /** @param options how much history to keep per job (defaults: see contract.ts). */
  constructor(options: ResultHistoryOptions = {}) {
    this.bounds = resultHistoryBounds(options);
  }

  /** How many frames of the job are retained. */
  retainedCount(jobId: string): number {
    const job = this.jobs.get(jobId);
    return job === undefined ? 0 : job.history.size + job.recent.size;
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
    const frames: ResultFrame[] = [];
    let h = job.history.indexOf(fromSeq);
    let r = job.recent.indexOf(fromSeq);
    while (frames.length < limit) {
      const a = job.history.at(h);
      const b = job.recent.at(r);
      if (a === undefined && b === undefined) break;
      if (b === undefined || (a !== undefined && a.seq < b.seq)) {
        frames.push(a!);
        h++;
      } else {
        frames.push(b);
        r++;
      }
    }
    return frames;
  }

  /** The newest `limit` retained frames, oldest first. */
  readNewest(jobId: string, limit: number): ResultFrame[] {
    const job = this.jobs.get(jobId);
    if (job === undefined || !(limit > 0)) return [];
    const frames: ResultFrame[] = [];
    let h = job.history.size - 1;
    let r = job.recent.size - 1;
    while (frames.length < limit) {
      const a = job.history.at(h);
      const b = job.recent.at(r);
      if (a === undefined && b === undefined) break;
      if (b === undefined || (a !== undefined && a.seq > b.seq)) {
        frames.push(a!);
        h--;
      } else {
        frames.push(b);
        r--;
      }
    }
    return frames.reverse();
  }

  /** The oldest seq the history covers and the newest seq (0 and 0 when none yet). */
  seqBounds(jobId: string): { first: number; last: number } {
    const job = this.jobs.get(jobId);
    if (job === undefined || this.retainedCount(jobId) === 0) return { first: 0, last: 0 };
    return { first: job.first, last: job.last };
  }

  /** Every retained frame of the job, oldest first. */
  retained(jobId: string): ResultFrame[] {
    return this.read(jobId, -Infinity, Infinity);
  }

  drop(jobId: string): void {
    this.jobs.delete(jobId);
  }

  private push(jobId: string, frame: ResultFrame): void {
    let job = this.jobs.get(jobId);
    if (job === undefined) {
      job = { history: new FrameQueue(), recent: new FrameQueue(), first: frame.seq, last: 0, rows: 0 };
      this.jobs.set(jobId, job);
    }
    job.last = frame.seq;
    if (frame.rows.length === 0) job.recent.push(frame);
    else {
      job.history.push(frame);
      job.rows += frame.rows.length;
    }
    for (let oldest = job.recent.oldest(); oldest !== undefined && oldest.seq <= frame.seq - this.bounds.recentSeqs; oldest = job.recent.oldest()) job.recent.shift();
    const { frames, rows, ageMs } = this.bounds;
    const oldestKept = ageMs === undefined ? -Infinity : frame.batchTime - ageMs;
    for (let oldest = job.history.oldest(); oldest !== undefined; oldest = job.history.oldest()) {
      const over = job.history.size > frames || (oldest.seq !== frame.seq && (job.rows > rows || oldest.batchTime < oldestKept));
      if (!over) break;
      job.history.shift();
      job.rows -= oldest.rows.length;
      job.first = oldest.seq + 1;
      // Frames without rows before where the history now begins go with it.
      while ((job.recent.oldest()?.seq ?? Infinity) < job.first) job.recent.shift();
    }
  }
}
