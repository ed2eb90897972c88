/**
 * One subscriber's frames, strictly in seq order with no gap and no duplicate, whatever order they are
 * offered in. Frames reach a node from its own batch loop and from the result follower (which reads the
 * result log of a job running elsewhere); the same frame may come twice and a later one before an
 * earlier one. A frame past the next expected seq waits while the missing seqs are read from the result
 * log, the source of truth; a frame at or below the last one sent is dropped.
 *
 *   sent: 1 2 3 | ahead: 6 7      -> read 4..5 from the log, send 4 5 6 7
 *
 * Only one read runs at a time and frames are passed on only between reads, so the subscriber's
 * deliveries are serialized. When the log cannot fill a gap yet (the store did not answer, or the frame
 * is not readable there yet), the read is tried again after RETRY_MS or at the next offer, whichever
 * comes first. When the log no longer retains the missing seqs (trimmed, or frames without rows that
 * are no longer recent), delivery goes on from the next retained one, as a `from` older than the
 * history does. The log always retains its newest frame, so such a read never comes back empty.
 */
import type { ResultFrame, ResultLog } from "../store/types.js";
import type { Clock } from "./clock.js";

/** Where a subscription's frames go. */
export interface Subscriber {
  frame(frame: ResultFrame): void;
  /** The job was deleted or failed: no more frames will come. */
  end(reason: string): void;
  /** Bytes handed to the subscriber's connection and not yet sent (for metrics; 0 when unknown). */
  bufferedBytes?(): number;
}

/** Frames read from the result log at a time. */
export const PAGE = 500;
/** Wait before reading a gap again that the log could not fill (ms). */
export const RETRY_MS = 200;

export class OrderedDelivery {
  private lastSent = 0;
  /** Frames offered past lastSent + 1, by seq. */
  private readonly ahead = new Map<number, ResultFrame>();
  /** Until start(): frames are only kept, since where delivery begins is not known yet. */
  private started = false;
  private reading: Promise<void> | undefined;
  private cancelRetry: (() => void) | undefined;
  private ending = false;
  private closed = false;

  constructor(
    private readonly jobId: string,
    private readonly results: ResultLog,
    private readonly clock: Clock,
    private readonly subscriber: Subscriber,
  ) {}

  /** The newest seq passed to the subscriber. */
  /** Bytes waiting in the subscriber's connection (0 when it does not say). */
  bufferedBytes(): number {
    return this.subscriber.bufferedBytes?.() ?? 0;
  }

  get last(): number {
    return this.lastSent;
  }

  /**
   * Begins after `lastSent`: reads the log up to `upTo` (the history), then passes on what was offered
   * meanwhile. Resolves once the history is sent; rejects when the store could not give it.
   */
  async start(lastSent: number, upTo: number): Promise<void> {
    this.lastSent = lastSent;
    this.started = true;
    const history = this.readLog(upTo);
    this.reading = history.then(
      () => undefined,
      () => undefined,
    );
    try {
      await history;
    } finally {
      this.reading = undefined;
    }
    this.drain();
  }

  offer(frame: ResultFrame): void {
    if (this.ending || this.closed || (this.started && frame.seq <= this.lastSent)) return;
    this.ahead.set(frame.seq, frame);
    if (this.started && this.reading === undefined) this.drain();
  }

  /** Ends the subscriber once a read under way has been passed on. */
  end(reason: string): void {
    if (this.ending || this.closed) return;
    this.ending = true;
    const finish = (): void => {
      if (this.closed) return;
      this.sendContiguous();
      this.close();
      this.subscriber.end(reason);
    };
    if (this.reading === undefined) finish();
    else void this.reading.then(finish);
  }

  close(): void {
    this.closed = true;
    this.ahead.clear();
    this.cancelRetry?.();
    this.cancelRetry = undefined;
  }

  /** Sends what follows lastSent without a gap; reads the log for a gap before the rest. */
  private drain(): void {
    this.sendContiguous();
    for (const seq of this.ahead.keys()) if (seq <= this.lastSent) this.ahead.delete(seq);
    if (this.ending || this.closed || this.ahead.size === 0) return;
    this.cancelRetry?.();
    this.cancelRetry = undefined;
    let nextOffered = Infinity;
    for (const seq of this.ahead.keys()) nextOffered = Math.min(nextOffered, seq);
    this.reading = this.fillGap(nextOffered - 1);
  }

  private sendContiguous(): void {
    for (let next = this.ahead.get(this.lastSent + 1); next !== undefined && !this.closed; next = this.ahead.get(this.lastSent + 1)) {
      this.ahead.delete(next.seq);
      this.send(next);
    }
  }

  /** Reads the gap up to `upTo` from the log; then drains, or waits to retry when nothing came. */
  private async fillGap(upTo: number): Promise<void> {
    const before = this.lastSent;
    await this.readLog(upTo).catch(() => undefined); // the store did not answer: the gap stays
    this.reading = undefined;
    if (this.closed || this.ending) return;
    if (this.lastSent === before && !this.ahead.has(this.lastSent + 1)) this.retryLater();
    else this.drain();
  }

  /** Sends the retained frames after lastSent up to `upTo` (fewer when the log has no more yet). */
  private async readLog(upTo: number): Promise<void> {
    while (this.lastSent < upTo && !this.closed) {
      const page = await this.results.read(this.jobId, this.lastSent + 1, Math.min(PAGE, upTo - this.lastSent));
      if (this.closed) return;
      const newer = page.filter((frame) => frame.seq > this.lastSent);
      if (newer.length === 0) return;
      for (const frame of newer) {
        if (frame.seq > upTo) {
          // The log no longer retains the rest of the gap: the frames offered after it go on.
          this.lastSent = upTo;
          return;
        }
        this.send(frame);
      }
    }
  }

  private retryLater(): void {
    this.cancelRetry ??= this.clock.setTimer(this.clock.now() + RETRY_MS, () => {
      this.cancelRetry = undefined;
      if (this.reading === undefined && !this.closed) this.drain();
    });
  }

  private send(frame: ResultFrame): void {
    this.lastSent = frame.seq;
    this.subscriber.frame(frame);
  }
}
