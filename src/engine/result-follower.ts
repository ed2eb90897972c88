/**
 * Live results of jobs that run on another node. A job's frames are published to this node's
 * subscribers by its batch loop only where it runs; elsewhere the follower reads them from the result
 * log (the source of truth) and publishes them into the subscriptions. One timer polls, every
 * `intervalMs`, the log's bounds of each job that has subscribers here and is not run here: one bounds
 * call per job per poll, and a read only when the newest seq moved past what this node's subscribers
 * already have. A frame that also arrives from a local batch loop is not doubled: each subscriber
 * drops seqs it has sent (ordered-delivery.ts).
 *
 * Every `catalogEvery` polls, and whenever the log went backwards, the job's catalogue record is read:
 * a job gone from the catalogue (or replaced by a new one of the same id) ends its subscribers with
 * "job deleted", one that turned failed with "job failed: <why>", as on the node that ran it.
 */
import type { Catalog, JobRecord, ResultLog } from "../store/types.js";
import type { Clock } from "./clock.js";
import { PAGE } from "./ordered-delivery.js";
import type { Subscriptions } from "./subscriptions.js";

/** Options of {@link ResultFollower}. */
export interface ResultFollowerOptions {
  readonly results: ResultLog;
  readonly catalog: Pick<Catalog, "getJob">;
  readonly subscriptions: Subscriptions;
  readonly clock: Clock;
  /** Whether the job runs on this node (its frames are published here already): then it is not polled. Default: never. */
  readonly isLocal?: (jobId: string) => boolean;
  /** Time between polls (default FOLLOW_INTERVAL_MS). */
  readonly intervalMs?: number;
  /** Polls between reads of a followed job's catalogue record (default CATALOG_CHECK_POLLS). */
  readonly catalogEvery?: number;
}

/** Time between two polls of the followed jobs' result logs (ms). */
export const FOLLOW_INTERVAL_MS = 150;
/** Polls between two checks that a followed job still exists and has not failed (about 1.5 s). */
export const CATALOG_CHECK_POLLS = 10;

/** What the follower knows of one followed job. */
interface FollowedJob {
  /** Newest seq published from the log (or known to be with every subscriber). */
  published: number;
  /** The catalogue record's creation time: another one means the job was deleted and made again. */
  readonly createdAt: number;
  /** Its status when last seen: only a change to failed ends the subscribers. */
  status: JobRecord["status"];
  polls: number;
}

export class ResultFollower {
  private readonly followed = new Map<string, FollowedJob>();
  private readonly isLocal: (jobId: string) => boolean;
  private readonly intervalMs: number;
  private readonly catalogEvery: number;
  private cancelTimer: (() => void) | undefined;
  private polling = false;
  private stopped = false;

  constructor(private readonly options: ResultFollowerOptions) {
    this.isLocal = options.isLocal ?? (() => false);
    this.intervalMs = options.intervalMs ?? FOLLOW_INTERVAL_MS;
    this.catalogEvery = options.catalogEvery ?? CATALOG_CHECK_POLLS;
  }

  /**
   * Follows the job while it has subscribers here. `lastSeq` is the newest seq when the subscriber read
   * the log's bounds: every newer frame will be published to it.
   */
  follow(jobId: string, lastSeq: number, record: Pick<JobRecord, "createdAt" | "status">): void {
    // Already followed: whatever it publishes from now on is newer than what this subscriber read. A
    // job of that id made since (the old one deleted here just now) starts over.
    if (this.followed.get(jobId)?.createdAt !== record.createdAt) this.followed.set(jobId, { published: lastSeq, createdAt: record.createdAt, status: record.status, polls: 0 });
    this.stopped = false;
    this.arm();
  }

  /** How many jobs are followed now (tests and metrics). */
  get size(): number {
    return this.followed.size;
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.followed.clear();
  }

  private arm(): void {
    if (this.stopped || this.polling || this.cancelTimer !== undefined || this.followed.size === 0) return;
    const { clock } = this.options;
    this.cancelTimer = clock.setTimer(clock.now() + this.intervalMs, () => {
      this.cancelTimer = undefined;
      void this.poll();
    });
  }

  private async poll(): Promise<void> {
    this.polling = true;
    try {
      const subscribed = new Set(this.options.subscriptions.jobs());
      for (const jobId of this.followed.keys()) if (!subscribed.has(jobId)) this.followed.delete(jobId);
      const due = [...this.followed].filter(([jobId]) => !this.isLocal(jobId));
      await Promise.all(due.map(([jobId, job]) => this.pollJob(jobId, job)));
    } finally {
      this.polling = false;
      this.arm();
    }
  }

  private async pollJob(jobId: string, job: FollowedJob): Promise<void> {
    const { results, subscriptions } = this.options;
    job.polls += 1;
    try {
      const bounds = await results.bounds(jobId);
      // What every subscriber here has already got need not be read again.
      job.published = Math.max(job.published, subscriptions.delivered(jobId));
      const wentBack = bounds.last < job.published;
      for (let next = Math.max(job.published + 1, bounds.first); next <= bounds.last && this.followed.get(jobId) === job; ) {
        const page = await results.read(jobId, next, Math.min(PAGE, bounds.last - next + 1));
        if (page.length === 0) break;
        for (const frame of page) subscriptions.publish(jobId, frame);
        next = page[page.length - 1]!.seq + 1;
        job.published = next - 1;
      }
      if (wentBack || job.polls % this.catalogEvery === 0) await this.checkCatalog(jobId, job);
    } catch {
      // The store did not answer: the next poll asks again, from the same place.
    }
  }

  /** Ends the job's subscribers when it was deleted or has failed since it was followed. */
  private async checkCatalog(jobId: string, job: FollowedJob): Promise<void> {
    const record = await this.options.catalog.getJob(jobId);
    if (this.followed.get(jobId) !== job) return;
    const previous = job.status;
    if (record !== undefined) job.status = record.status;
    const reason =
      record === undefined || record.createdAt !== job.createdAt ? "job deleted" : record.status === "failed" && previous !== "failed" ? `job failed: ${record.failure ?? "no reason recorded"}` : undefined;
    if (reason === undefined) return;
    this.followed.delete(jobId);
    this.options.subscriptions.end(jobId, reason);
  }
}
