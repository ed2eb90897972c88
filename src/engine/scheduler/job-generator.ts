/**
 * The batch loop of one job (Spark Streaming's JobGenerator). Every batch interval it cuts, for each
 * input partition, the blocks that arrived since the last cut, records that descriptor durably, and
 * only then runs it. Cuts happen on time even when processing lags; batches run strictly in order;
 * each emitted output becomes the next result frame. Every N batches the reduce partitions'
 * state is checkpointed with the job's counters (a job without state checkpoints its counters alone),
 * and what that checkpoint makes unnecessary is trimmed. A job being deleted is abandoned: it stops
 * at once, whatever its batch is doing, and writes nothing more to the store.
 */
import type { BatchDescriptor, BlockRange, ResultFrame, Store } from "../../store/types.js";
import type { Metrics } from "../../metrics/metrics.js";
import type { Clock } from "../clock.js";
import type { OperatorLog } from "../operator-log.js";
import type { JobPlan } from "../query/compile-job.js";
import type { TaskRunner } from "../task-runner.js";
import { BatchExecutor, type BatchOutcome, type BatchRunner } from "./batch-executor.js";
import { catchUpCut, DEFAULT_CATCH_UP_BATCH_BYTES } from "./catch-up.js";
import { checkpointEveryBatches, checkpointPhase, isCheckpointBatch } from "./checkpoint-policy.js";
import type { InputSlot } from "./input-slots.js";
import { JobHistory } from "./job-history.js";
import { JobProgress } from "./job-progress.js";

export interface GeneratorDeps {
  readonly clock: Clock;
  readonly store: Store;
  readonly runner: TaskRunner;
  readonly metrics: Metrics;
  /** Where a checkpoint that could not be written is told. */
  readonly log: OperatorLog;
  /** Minimum time between checkpoints (rounded up to whole slides). */
  readonly checkpointIntervalMs: number;
  /** Whether each job checkpoints at its own phase of the interval (see checkpointPhase) rather than all at once. */
  readonly staggerCheckpoints?: boolean;
  /** Called with every frame once it is stored in the result log. */
  readonly publish: (jobId: string, frame: ResultFrame) => void;
  /** Called when the job cannot go on (a batch failed to run). */
  readonly onFailure: (jobId: string, error: Error) => void;
  /**
   * Appends a frame's rows to the job's output stream. The key (job and seq) makes a frame written
   * again after a crash a no-op, so the downstream job sees each row once.
   */
  readonly forward: (stream: string, rows: readonly Record<string, unknown>[], idempotencyKey: string) => Promise<unknown>;
  /** How many events this process has stored into `stream` so far (a count that only grows). */
  readonly storedEvents: (stream: string) => number;
  /** When the oldest block of these ranges this process stored was stored (undefined: none it knows). */
  readonly oldestStoredAt: (ranges: readonly BlockRange[]) => number | undefined;
  /** Called after a checkpoint with the offsets the job still needs, so its input can be trimmed. */
  readonly onRetainedFrom: (jobId: string, offsets: readonly number[]) => Promise<void>;
}

export interface GeneratorJob {
  readonly id: string;
  readonly createdAt: number;
  /** Every partition of every input, in descriptor order. */
  readonly slots: readonly InputSlot[];
  /** How many reduce partitions its keyed step runs in (0: it has none). */
  readonly partitions: number;
  readonly plan: JobPlan;
  /** Bytes per input partition in one catch-up batch (see catch-up.ts; default 64 MiB). */
  readonly catchUpBatchBytes?: number;
}

/** Where a job stands: the next block of each input slot to cut, its last frame and batch. */
export interface JobPosition {
  readonly cursor: readonly number[];
  readonly lastSeq: number;
  readonly lastBatchTime: number;
  /** The job starts in the past: it works through the history in bounded batches first (catch-up.ts). */
  readonly catchingUp?: boolean;
}

/** A write of a job that was abandoned (deleted) meanwhile: it was not made. */
export class JobAbandonedError extends Error {
  override readonly name = "JobAbandonedError";
  constructor(jobId: string) {
    super(`job ${jobId} was deleted; nothing more of it is written`);
  }
}

/**
 * How many batch times a job may have due and not yet done. Past it, a tick cuts nothing: what
 * arrives meanwhile goes into the next batch cut once the job has caught up, so the queue of batches
 * (and what it holds) stays bounded however long the job is overloaded, and nothing is lost. Load
 * shedding (SHED_JOB_DELAY_MS) normally refuses new events long before.
 */
export const MAX_WAITING_BATCHES = 100;

/** How long to wait before cutting again when the store could not be reached. */
const RETRY_MS = 500;

export class JobGenerator {
  readonly progress = new JobProgress();
  readonly history = new JobHistory();
  private readonly executor: BatchExecutor;
  private readonly checkpointEvery: number;
  private readonly checkpointPhase: number;
  private cursor: number[];
  private lastSeq: number;
  private cancelTimer: (() => void) | undefined;
  private nextBatchTime: number;
  private running = false;
  private failed = false;
  /** Set by drain(): batches cut but not yet started are left to the replay after a restart. */
  private draining = false;
  /** Set by abandon(): no store write starts from then on. */
  private abandoned = false;
  /** The job's store writes under way (see write()). */
  private readonly writes = new Set<Promise<unknown>>();
  /** The last batch that ran, and the batch time of the last checkpoint written. */
  private lastRun: BatchDescriptor | undefined;
  private lastCheckpointed = -Infinity;
  /** Cuts are serialized so descriptors are recorded in batch-time order. */
  private cuts: Promise<void> = Promise.resolve();
  /** Batches are serialized so each sees the state the previous one left. */
  private runs: Promise<void> = Promise.resolve();
  /** Batch times that fell due and are not yet done, oldest first (see delayMs). */
  private readonly unfinished: number[] = [];
  /** For each of them, how many events had been stored into the job's inputs when it fell due. */
  private readonly storedAtDue: number[] = [];
  /** Events stored into the inputs up to the last batch done: what is beyond waits (see backlog). */
  private processedThrough = 0;
  /** Events a millisecond of batch processing has handled lately (undefined: no batch with events yet). */
  private eventsPerMs: number | undefined;
  private readonly inputStreams: readonly string[];
  /** Cuts are bounded (catch-up.ts) until one reaches the end of every input partition. */
  private catchingUp: boolean;

  constructor(
    private readonly deps: GeneratorDeps,
    readonly job: GeneratorJob,
    position: JobPosition,
  ) {
    // Once abandoned, the job sends no more tasks: its name may be registered again, and a task of
    // this registration must never reach the next one's partitions.
    const tasks: BatchRunner = {
      map: (task) => (this.abandoned ? Promise.reject(new JobAbandonedError(job.id)) : deps.runner.map(task)),
      reduce: (task) => (this.abandoned ? Promise.reject(new JobAbandonedError(job.id)) : deps.runner.reduce(task)),
    };
    this.executor = new BatchExecutor(job.id, job.plan, job.slots, job.partitions, tasks, deps.store.streams, (task) => this.history.reduced(task));
    this.checkpointEvery = checkpointEveryBatches(job.plan.batchInterval, job.plan.slide, deps.checkpointIntervalMs);
    this.checkpointPhase = deps.staggerCheckpoints ? checkpointPhase(job.id, job.plan.batchInterval, job.plan.slide, this.checkpointEvery) : 0;
    this.cursor = [...position.cursor];
    this.lastSeq = position.lastSeq;
    this.nextBatchTime = position.lastBatchTime;
    this.progress.resumedAt(position.lastSeq);
    this.inputStreams = [...new Set(job.slots.map((slot) => slot.stream))];
    this.catchingUp = position.catchingUp === true;
    if (this.catchingUp) this.progress.catchingUp(undefined);
  }

  /**
   * Starts ticking at the first batch time after now (and after the last recorded batch). `dueNow`
   * (a job just rebuilt after a restart or on another node): the batch time that fell due last, if
   * it was never cut, is cut at once, so the job is back on schedule without waiting for the next one.
   */
  start(options: { readonly dueNow?: boolean } = {}): void {
    if (this.running || this.failed) return;
    this.running = true;
    const interval = this.job.plan.batchInterval.ms;
    const lastDue = Math.floor(this.deps.clock.now() / interval) * interval;
    this.schedule(Math.max(options.dueNow ? lastDue : lastDue + interval, this.nextBatchTime + interval));
  }

  /** Stops ticking; batches already cut still run. */
  pause(): void {
    this.running = false;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  /**
   * For delete: stops ticking and lets no store write of the job start from now on, whatever its
   * batch is doing (a task still running on a worker is left to end; its outcome is dropped). Resolves
   * once the writes already under way have settled: after that, nothing of the job reaches the store.
   */
  async abandon(): Promise<void> {
    this.abandoned = true;
    this.pause();
    await Promise.allSettled([...this.writes]);
  }

  /** Resolves once every batch cut so far has been processed. */
  async whenIdle(): Promise<void> {
    let cuts: Promise<void>;
    do {
      cuts = this.cuts;
      await cuts;
      await this.runs;
    } while (cuts !== this.cuts);
  }

  /**
   * For shutdown: stops ticking, lets the batch that is running finish (those cut but not started stay
   * recorded, and a restart replays them), then checkpoints where the job stands, so a restart has
   * little or nothing to replay.
   */
  async drain(): Promise<void> {
    this.pause();
    this.draining = true;
    await this.whenIdle();
    if (this.failed || !this.lastRun || this.lastRun.batchTime <= this.lastCheckpointed) return;
    // Best effort (the store may be down, a worker lost): without it, a restart replays from the
    // previous checkpoint, slower and never wrong.
    const batchTime = this.lastRun.batchTime;
    await this.checkpoint(this.lastRun).catch((error: Error) => {
      this.checkpointFailed(batchTime, error, "shutdown");
      this.progress.stalled(`shutdown checkpoint skipped: ${error.message}`);
    });
  }

  /**
   * For an upgrade: stops ticking, runs every batch already cut and checkpoints after the last, so
   * no recorded batch is left for a replay (which would run it under the new definition). Throws when
   * a batch failed or the checkpoint could not be written; the job can then start() again as it was.
   * The batch time it checkpointed (undefined: no batch has run yet).
   */
  async settle(): Promise<number | undefined> {
    this.pause();
    await this.whenIdle();
    if (this.failed) throw new Error(`job ${this.job.id} failed while its last batches ran`);
    if (this.lastRun && this.lastRun.batchTime > this.lastCheckpointed) await this.checkpoint(this.lastRun);
    return this.lastRun?.batchTime;
  }

  /**
   * Re-runs a recorded batch (one newer than the checkpoint recovered from) while recovering after a
   * restart; it adds to the job's counters, which the checkpoint does not include. Its frame is stored
   * and published only when the batch is newer than the last stored frame (it ran, but its frame was
   * never written).
   */
  async replay(descriptor: BatchDescriptor, lastFrameBatchTime: number): Promise<void> {
    const outcome = await this.executor.execute(descriptor);
    if (outcome.output && descriptor.batchTime > lastFrameBatchTime) await this.emit(descriptor, outcome);
    this.progress.replayed({ ...outcome, lastSeq: this.lastSeq });
    // The last stored frame may have been stored but not yet forwarded when the server stopped.
    const output = this.job.plan.definition.output;
    if (outcome.output && descriptor.batchTime === lastFrameBatchTime && output !== undefined && outcome.output.rows.length > 0) {
      await this.write(() => this.deps.forward(output, outcome.output!.rows, this.outputKey(this.lastSeq)));
    }
    this.cursor = descriptor.ranges.map((r) => r.to);
    this.nextBatchTime = descriptor.batchTime;
    this.lastRun = descriptor;
  }

  /** Starts a store write of the job unless it was abandoned, counting it among the writes under way. */
  private write<T>(start: () => Promise<T>): Promise<T> {
    if (this.abandoned) return Promise.reject(new JobAbandonedError(this.job.id));
    const writing = start();
    this.writes.add(writing);
    const done = () => void this.writes.delete(writing);
    writing.then(done, done);
    return writing;
  }

  /** Frame `seq` of this registration of the job: a job registered again under its name starts afresh. */
  private outputKey(seq: number): string {
    return `${this.job.id}@${this.job.createdAt}:${seq}`;
  }

  private schedule(batchTime: number): void {
    this.nextBatchTime = batchTime;
    this.cancelTimer = this.deps.clock.setTimer(batchTime, () => this.tick(batchTime));
  }

  /**
   * Cuts batch `batchTime` once the clock has reached it, never before: every append acknowledged
   * while the clock read less than B completed before this point (acknowledgements come after the
   * store answered), so the cut's end offsets include it. A timer that fires early is set again.
   */
  private tick(batchTime: number): void {
    if (!this.running || this.abandoned) return;
    if (this.deps.clock.now() < batchTime) {
      this.schedule(batchTime);
      return;
    }
    this.schedule(batchTime + this.job.plan.batchInterval.ms);
    if (this.unfinished.length >= MAX_WAITING_BATCHES) {
      this.progress.cutSkipped();
      return;
    }
    this.unfinished.push(batchTime);
    this.storedAtDue.push(this.storedInInputs());
    this.cuts = this.cuts.then(() => this.cutAndEnqueue(batchTime));
  }

  /**
   * How far behind the job is now: the age of its oldest batch that is due and not yet done (waiting
   * to be cut, cut and waiting to run, or running); 0 when none is.
   */
  /** Per input slot, the next block to cut (everything before it is in a cut batch). */
  cutUpTo(): readonly number[] {
    return this.cursor;
  }

  delayMs(): number {
    const oldest = this.unfinished[0];
    return oldest === undefined ? 0 : Math.max(0, this.deps.clock.now() - oldest);
  }

  /** Events stored into the job's inputs (by this process) that no finished batch has covered yet. */
  backlog(): number {
    return Math.max(0, this.storedInInputs() - this.processedThrough);
  }

  /**
   * How long the job would take to work through its backlog at the rate its recent batches ran (0
   * before it has run a batch with events). Unlike delayMs, it sees a burst as soon as it is stored,
   * before the batches that hold it have fallen behind: ingest shedding uses both.
   */
  expectedDelayMs(): number {
    return this.eventsPerMs === undefined ? 0 : this.backlog() / this.eventsPerMs;
  }

  private storedInInputs(): number {
    let stored = 0;
    for (const stream of this.inputStreams) stored += this.deps.storedEvents(stream);
    return stored;
  }

  /** A batch time is done: what was stored when it fell due is no longer waiting. */
  private batchTimeDone(): void {
    this.unfinished.shift();
    this.processedThrough = Math.max(this.processedThrough, this.storedAtDue.shift() ?? 0);
  }

  private async cutAndEnqueue(batchTime: number): Promise<void> {
    // While the store is unreachable this batch time waits, so no batch is skipped.
    let descriptor: BatchDescriptor;
    try {
      descriptor = await this.untilStored(() => this.cut(batchTime), () => !this.abandoned);
    } catch (error) {
      if (this.abandoned || this.failed) return;
      // The descriptor could not be recorded (another node holds the job's lease now, or the store
      // refused it): the job cannot go on here.
      this.failed = true;
      this.pause();
      this.deps.onFailure(this.job.id, error instanceof Error ? error : new Error(String(error)));
      return;
    }
    this.progress.batchCut();
    this.runs = this.runs.then(() => this.runBatch(descriptor)).then(() => this.batchTimeDone());
  }

  /**
   * Runs `step` until it succeeds, waiting out store outages (the job stalls, then goes on by itself).
   * Other errors, or any error once `stillWanted` says no, are thrown.
   */
  private async untilStored<T>(step: () => Promise<T>, stillWanted: () => boolean): Promise<T> {
    for (;;) {
      try {
        const value = await step();
        this.progress.recovered();
        return value;
      } catch (error) {
        if ((error as Error).name !== "StoreUnavailableError" || !stillWanted()) throw error;
        this.progress.stalled((error as Error).message);
        await new Promise<void>((resolve) => this.deps.clock.setTimer(this.deps.clock.now() + RETRY_MS, resolve));
      }
    }
  }

  /** Every input slot gets a range, empty or not, so each descriptor also says where the job stands. */
  private async cut(batchTime: number): Promise<BatchDescriptor> {
    const { slots } = this.job;
    const catchUp = this.catchingUp ? await catchUpCut(this.deps.store.streams, slots, this.cursor, this.job.catchUpBatchBytes ?? DEFAULT_CATCH_UP_BATCH_BYTES) : undefined;
    const ends = catchUp?.ends ?? (await Promise.all(slots.map((slot) => this.deps.store.streams.endOffset(slot.stream, slot.partition))));
    const ranges: BlockRange[] = ends.map((to, i) => ({ stream: slots[i]!.stream, partition: slots[i]!.partition, from: this.cursor[i]!, to }));
    const descriptor: BatchDescriptor = { jobId: this.job.id, batchTime, ranges };
    await this.write(() => this.deps.store.batches.record(descriptor));
    this.cursor = ends;
    if (catchUp) {
      const caughtUp = catchUp.behind.events === 0 && catchUp.behind.bytes === 0;
      this.catchingUp = !caughtUp;
      this.progress.catchingUp(catchUp.behind, caughtUp ? batchTime : undefined);
    }
    return descriptor;
  }

  private async runBatch(descriptor: BatchDescriptor): Promise<void> {
    if (this.failed || this.draining || this.abandoned) return;
    const started = this.deps.clock.now();
    const { metrics } = this.deps;
    const job = { job_name: this.job.id };
    try {
      // Only the map phase reads the store, before any state changes, so a batch that hit an outage
      // can run again; once it has run, only storing its frame is retried.
      const outcome = await this.untilStored(() => this.executor.execute(descriptor), () => !this.failed && !this.abandoned);
      if (outcome.output) await this.untilStored(() => this.emit(descriptor, outcome), () => !this.failed && !this.abandoned);
      const processingMs = this.deps.clock.now() - started;
      if (outcome.events > 0 && processingMs > 0) {
        const rate = outcome.events / processingMs;
        this.eventsPerMs = this.eventsPerMs === undefined ? rate : 0.7 * this.eventsPerMs + 0.3 * rate;
      }
      const schedulingDelayMs = Math.max(0, started - descriptor.batchTime);
      this.progress.batchDone({ ...outcome, batchTime: descriptor.batchTime, processingMs, schedulingDelayMs, lastSeq: this.lastSeq, intervalMs: this.job.plan.batchInterval.ms });
      this.lastRun = descriptor;
      metrics.batchesProcessed.inc(job);
      metrics.batchEvents.inc(job, outcome.events);
      metrics.batchProcessingSeconds.observe(job, processingMs / 1000);
      metrics.schedulingDelaySeconds.observe(job, schedulingDelayMs / 1000);
      metrics.totalDelaySeconds.observe(job, (schedulingDelayMs + processingMs) / 1000);
      metrics.stateKeys.set(job, outcome.stateSize);
      if (outcome.rowErrors.count > 0) metrics.rowErrors.inc(job, outcome.rowErrors.count);
      if (outcome.lateEvents > 0) metrics.lateEvents.inc(job, outcome.lateEvents);
      if (outcome.watermark !== undefined) metrics.watermarkLagSeconds.set(job, (this.deps.clock.now() - outcome.watermark) / 1000);
      if (isCheckpointBatch(descriptor.batchTime, this.job.plan.batchInterval, this.checkpointEvery, this.checkpointPhase)) {
        // A checkpoint that cannot be written is skipped: the next one covers it, replay covers the gap.
        await this.checkpoint(descriptor).catch((error: Error) => {
          if (!this.abandoned) this.checkpointFailed(descriptor.batchTime, error, "batch");
          if (error.name !== "StoreUnavailableError") throw error;
          this.progress.stalled(`checkpoint skipped: ${error.message}`);
        });
      }
    } catch (error) {
      if (this.abandoned) return; // deleted meanwhile: what the batch came to no longer matters
      metrics.batchesFailed.inc(job);
      this.failed = true;
      this.pause();
      this.deps.onFailure(this.job.id, error instanceof Error ? error : new Error(String(error)));
    }
  }

  private async emit(descriptor: BatchDescriptor, outcome: BatchOutcome): Promise<void> {
    const frame: ResultFrame = { seq: this.lastSeq + 1, batchTime: descriptor.batchTime, window: outcome.output!.window, rows: outcome.output!.rows };
    try {
      await this.write(() => this.deps.store.results.append(this.job.id, frame));
    } catch (error) {
      // An append whose answer was lost may have been stored after all: then it is done.
      const stored = await this.deps.store.results.bounds(this.job.id).catch(() => undefined);
      if (!stored || stored.last < frame.seq) throw error;
    }
    const output = this.job.plan.definition.output;
    if (output !== undefined && frame.rows.length > 0) await this.write(() => this.deps.forward(output, frame.rows, this.outputKey(frame.seq)));
    this.lastSeq = frame.seq;
    this.deps.metrics.resultFrames.inc({ job_name: this.job.id });
    this.deps.metrics.outputRows.inc({ job_name: this.job.id }, frame.rows.length);
    this.deps.publish(this.job.id, frame);
    const oldest = this.deps.oldestStoredAt(descriptor.ranges);
    if (oldest !== undefined) this.deps.metrics.endToEndLatencySeconds.observe({ job_name: this.job.id }, Math.max(0, this.deps.clock.now() - oldest) / 1000);
  }

  /**
   * Snapshots every reduce partition between batches, commits the checkpoint with the job's counters
   * as of this batch, then trims: batch descriptors older than the oldest complete checkpoint kept, and
   * (through the engine) input blocks no kept checkpoint needs; with a single checkpoint, nothing
   * (recovery's fallback is then the job's start).
   */
  private async checkpoint(descriptor: BatchDescriptor): Promise<void> {
    const { store, runner } = this.deps;
    const { id, partitions } = this.job;
    const counters = this.progress.counters();
    const started = this.deps.clock.now();
    if (!this.job.plan.keyed()) {
      this.lastCheckpointed = descriptor.batchTime;
      // No state: the checkpoint is its counters alone, and once a batch's frame is stored nothing
      // before it is ever needed again.
      await this.write(() => store.checkpoints.complete(id, descriptor.batchTime, 0, counters));
      this.checkpointed(descriptor.batchTime, this.deps.clock.now() - started, 0);
      await this.write(() => store.batches.trim(id, descriptor.batchTime));
      await this.write(() => this.deps.onRetainedFrom(id, descriptor.ranges.map((r) => r.to)));
      return;
    }
    const snapshots = await Promise.all(Array.from({ length: partitions }, (_, p) => runner.snapshot(id, p)));
    await Promise.all(snapshots.map((s, p) => this.write(() => store.checkpoints.save(id, descriptor.batchTime, p, s))));
    await this.write(() => store.checkpoints.complete(id, descriptor.batchTime, partitions, counters));
    this.lastCheckpointed = descriptor.batchTime;
    this.history.checkpointed(descriptor.batchTime, snapshots);
    this.checkpointed(descriptor.batchTime, this.deps.clock.now() - started, snapshots.reduce((n, s) => n + s.byteLength, 0));
    // The checkpoints before the newest are what recovery falls back to when the newest cannot be
    // read; while the newest is the only one, the fallback is the job's start: nothing is trimmed yet.
    const kept = await store.checkpoints.listComplete(id);
    const oldest = kept.slice(1).at(-1);
    if (oldest === undefined) return;
    await this.write(() => store.batches.trim(id, oldest));
    const [atOldest] = await store.batches.list(id, oldest - 1, 1);
    if (atOldest?.batchTime === oldest) await this.write(() => this.deps.onRetainedFrom(id, atOldest.ranges.map((r) => r.to)));
  }

  /** `bytes`: the state snapshots of every partition (0 for a job without state). */
  private checkpointed(batchTime: number, tookMs: number, bytes: number): void {
    this.progress.checkpointed(batchTime, tookMs);
    const job = { job_name: this.job.id };
    const { metrics } = this.deps;
    metrics.checkpoints.inc({ ...job, outcome: "completed" });
    metrics.checkpointSeconds.observe(job, tookMs / 1000);
    metrics.checkpointBytes.observe(job, bytes);
    metrics.stateBytes.set(job, bytes);
  }

  /** Counted and logged; recovery then falls back to the previous complete checkpoint (and replays more). */
  private checkpointFailed(batchTime: number, error: Error, when: "batch" | "shutdown"): void {
    this.deps.metrics.checkpoints.inc({ job_name: this.job.id, outcome: "failed" });
    const last = this.progress.toJSON().lastCheckpoint;
    this.deps.log.warn({ job: this.job.id, batchTime, when, cause: error.message, lastComplete: last?.batchTime ?? null }, "checkpoint failed");
  }
}
