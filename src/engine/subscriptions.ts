/**
 * Live result subscriptions. A subscriber that asks to start from an older seq first gets the retained
 * frames from the result log, then the live ones, with no gap and no duplicate at the hand-over: live
 * frames are kept while history is read, and only those past the last one sent are passed on. Frames
 * may be published in any order, twice, or with holes (from this node's batch loop and from the result
 * follower): each subscriber still gets them in seq order, holes read from the log (ordered-delivery.ts).
 */
import type { ResultFrame, ResultLog } from "../store/types.js";
import type { Clock } from "./clock.js";
import { OrderedDelivery, type Subscriber } from "./ordered-delivery.js";

export type { Subscriber } from "./ordered-delivery.js";

export interface Subscription {
  /** The first seq asked for: `from`, or the newest seq + 1 without it. */
  readonly from: number;
  /**
   * The seq delivery goes on from: `from`, or where the history begins when `from` was older, or the
   * newest seq + 1 when `from` was past it (the job's seqs never reached it: it was made again, say).
   * No frame below it is sent; frames from it on are, in order (from the history, those without rows
   * only when still recent: their seqs are skipped otherwise).
   */
  readonly next: number;
  /** True when `from` asked for frames older than the history keeps: some were skipped. */
  readonly truncated: boolean;
  /** Newest seq at the time of subscribing. */
  readonly lastSeq: number;
  close(): void;
}

export class Subscriptions {
  private readonly byJob = new Map<string, Set<OrderedDelivery>>();

  constructor(
    private readonly results: ResultLog,
    private readonly clock: Clock,
  ) {}

  publish(jobId: string, frame: ResultFrame): void {
    for (const delivery of this.byJob.get(jobId) ?? []) delivery.offer(frame);
  }

  end(jobId: string, reason: string): void {
    for (const delivery of this.byJob.get(jobId) ?? []) delivery.end(reason);
    this.byJob.delete(jobId);
  }

  count(jobId: string): number {
    return this.byJob.get(jobId)?.size ?? 0;
  }

  /** The newest seq that every subscriber of the job has been sent (0 when it has none). */
  delivered(jobId: string): number {
    let oldest: number | undefined;
    for (const delivery of this.byJob.get(jobId) ?? []) oldest = Math.min(oldest ?? delivery.last, delivery.last);
    return oldest ?? 0;
  }

  /** Jobs with at least one subscriber on this node. */
  jobs(): string[] {
    return [...this.byJob.keys()];
  }

  /** Bytes waiting in the connections of the job's subscribers, together. */
  bufferedBytes(jobId: string): number {
    let bytes = 0;
    for (const delivery of this.byJob.get(jobId) ?? []) bytes += delivery.bufferedBytes();
    return bytes;
  }

  /** Without `from`, only frames produced from now on; with it, every retained frame with seq >= from first. */
  async subscribe(jobId: string, from: number | undefined, subscriber: Subscriber): Promise<Subscription> {
    const delivery = new OrderedDelivery(jobId, this.results, this.clock, subscriber);
    const set = this.byJob.get(jobId) ?? new Set<OrderedDelivery>();
    this.byJob.set(jobId, set);
    set.add(delivery);
    const close = (): void => {
      delivery.close();
      set.delete(delivery);
      if (set.size === 0 && this.byJob.get(jobId) === set) this.byJob.delete(jobId);
    };

    try {
      const bounds = await this.results.bounds(jobId);
      const start = from ?? bounds.last + 1;
      const truncated = from !== undefined && bounds.last > 0 && from < bounds.first;
      const next = start > bounds.last + 1 ? bounds.last + 1 : Math.max(start, bounds.first);
      await delivery.start(next - 1, bounds.last);
      return { from: start, next, truncated, lastSeq: bounds.last, close };
    } catch (error) {
      close();
      throw error;
    }
  }
}
