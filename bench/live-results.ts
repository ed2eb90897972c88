/**
 * A WebSocket subscriber of a job's live results that notes when each frame arrived. It keeps every
 * frame's seq, batch time and arrival, grep's match count, and the rows of the newest frames only.
 */
import WebSocket from "ws";
import { sleep } from "./stats.js";

export interface SeenFrame {
  readonly seq: number;
  readonly batchTime: number;
  /** Date.now() when the frame arrived. */
  readonly arrivedAt: number;
  /** The grep count, when the rows carry one. */
  readonly matches?: number;
  rows?: Record<string, unknown>[];
}

const KEEP_ROWS = 40;

export class LiveResults {
  readonly frames: SeenFrame[] = [];
  private readonly socket: WebSocket;
  private hello = false;
  closed: string | undefined;

  private constructor(url: string) {
    this.socket = new WebSocket(url);
    this.socket.on("message", (data) => {
      const message = JSON.parse(data.toString()) as { type: string; seq: number; batchTime: number; rows: Record<string, unknown>[] };
      if (message.type === "hello") this.hello = true;
      if (message.type !== "result") return;
      const matches = message.rows[0]?.matches;
      this.frames.push({ seq: message.seq, batchTime: message.batchTime, arrivedAt: Date.now(), ...(typeof matches === "number" ? { matches } : {}), rows: message.rows });
      const old = this.frames[this.frames.length - 1 - KEEP_ROWS];
      if (old) delete old.rows;
    });
    this.socket.on("close", (code, reason) => (this.closed = `${code} ${reason.toString()}`));
    this.socket.on("error", (error) => (this.closed = error.message));
  }

  /** Subscribes and resolves once the server's hello arrived. */
  static async open(wsUrl: string, jobId: string, from?: number): Promise<LiveResults> {
    const live = new LiveResults(`${wsUrl}/v1/jobs/${encodeURIComponent(jobId)}/results/live${from === undefined ? "" : `?from=${from}`}`);
    await live.until(() => live.hello, 10_000);
    return live;
  }

  /** Waits until `predicate` holds; false when `timeoutMs` passed first or the socket closed. */
  async until(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (this.closed !== undefined || Date.now() > deadline) return false;
      await sleep(10);
    }
    return true;
  }

  /**
   * The first frame that must hold an event acknowledged at `time` (the client's Date.now() when the
   * 202 arrived): the first with a batch time after it. The server promises that an event acknowledged
   * while its clock read less than B is in batch B or earlier; the server's reading was at most `time`,
   * and may equal it, so a batch at exactly `time` may have been cut just before the event.
   */
  firstHolding(time: number): SeenFrame | undefined {
    return this.frames.find((f) => f.batchTime > time);
  }

  /** The first seq from 1 to `seq` that never arrived (the server promises no gap), if any. */
  missingUpTo(seq: number): number | undefined {
    const seen = new Set(this.frames.map((f) => f.seq));
    for (let s = 1; s <= seq; s++) if (!seen.has(s)) return s;
    return undefined;
  }

  close(): void {
    this.socket.close();
  }
}
