/**
 * Live result subscriptions. A subscriber that asks to start from an older seq first gets the retained
 * frames from the result log, then the live ones, with no gap and no duplicate at the hand-over: live
 * frames are buffered while history is read, and only those past the last one sent are passed on.
 */
import type { ResultFrame, ResultLog } from "../store/types.js";

export interface Subscriber {
  frame(frame: ResultFrame): void;
  /** The job was deleted or failed: no more frames will come. */
  end(reason: string): void;
}

export interface Subscription {
  /** First seq this subscriber will receive (the oldest retained one when `from` was older). */
  readonly from: number;
  /** True when `from` asked for frames older than the history keeps: some were skipped. */
  readonly truncated: boolean;
  /** Newest seq at the time of subscribing. */
  readonly lastSeq: number;
  close(): void;
}

const PAGE = 500;

export class Subscriptions {
  private readonly byJob = new Map<string, Set<Subscriber>>();

  constructor(private readonly results: ResultLog) {}

  publish(jobId: string, frame: ResultFrame): void {
    for (const subscriber of this.byJob.get(jobId) ?? []) subscriber.frame(frame);
  }

  end(jobId: string, reason: string): void {
    for (const subscriber of this.byJob.get(jobId) ?? []) subscriber.end(reason);
    this.byJob.delete(jobId);
  }

  count(jobId: string): number {
    return this.byJob.get(jobId)?.size ?? 0;
  }

  /** Without `from`, only frames produced from now on; with it, every retained frame with seq >= from first. */
  async subscribe(jobId: string, from: number | undefined, subscriber: Subscriber): Promise<Subscription> {
    const buffered: ResultFrame[] = [];
    let live = false;
    let lastSent = 0;
    const forward = (frame: ResultFrame): void => {
      if (frame.seq <= lastSent) return;
      lastSent = frame.seq;
      subscriber.frame(frame);
    };
    const entry: Subscriber = { frame: (f) => (live ? forward(f) : buffered.push(f)), end: (r) => subscriber.end(r) };
    const set = this.byJob.get(jobId) ?? new Set<Subscriber>();
    this.byJob.set(jobId, set);
    set.add(entry);

    const bounds = await this.results.bounds(jobId);
    const start = from ?? bounds.last + 1;
    const truncated = from !== undefined && bounds.last > 0 && from < bounds.first;
    lastSent = (bounds.first > 0 ? Math.max(start, bounds.first) : start) - 1;
    const lastSentBeforeHistory = lastSent;
    for (let next = lastSent + 1; next <= bounds.last; ) {
      const page = await this.results.read(jobId, next, PAGE);
      if (page.length === 0) break;
      for (const frame of page) forward(frame);
      next = page[page.length - 1]!.seq + 1;
    }
    for (const frame of buffered) forward(frame);
    live = true;
    return {
      from: lastSentBeforeHistory + 1,
      truncated,
      lastSeq: bounds.last,
      close: () => {
        set.delete(entry);
        if (set.size === 0 && this.byJob.get(jobId) === set) this.byJob.delete(jobId);
      },
    };
  }
}
