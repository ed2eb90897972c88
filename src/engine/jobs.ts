/**
 * Registered jobs: registration (checked in full before anything is stored or started), stop,
 * pause/resume, inspection, and bringing every catalogued job back after a restart (job-recovery.ts
 * replays its recorded batch descriptors, so its state is exactly what it was). Where a job runs is
 * job-layout.ts; what it still needs of its inputs, input-retention.ts.
 */
import type { JobRecord, Lease, Store } from "../store/types.js";
import type { JobFigures, Metrics } from "../metrics/metrics.js";
import type { Clock } from "./clock.js";
import { EngineError, invalidJob, type Problem } from "./errors.js";
import type { Key } from "./operators/key-by.js";
import { reducePartitionOf } from "./operators/keyed-stage.js";
import { modelOf } from "./operators/train-logistic-regression.js";
import { compileJob, definitionSize, MAX_DEFINITION_CHARS, type JobPlan } from "./query/compile-job.js";
import { withEventTime } from "./query/event-time-default.js";
import { checkStepTypes, declaredFieldTypes } from "./query/typed-steps.js";
import { jobInputs } from "./query/job-inputs.js";
import { InputRetention, readersOf } from "./input-retention.js";
import { layoutOf, type JobLayout } from "./job-layout.js";
import { recoverJob } from "./job-recovery.js";
import { upgradeDifferences, type UpgradeDifference } from "./query/upgrade-differences.js";
import type { StepPlacement } from "./query/plan-steps.js";
import { offsetsByStream } from "./scheduler/input-slots.js";
import { decodeState } from "./stages/shuffle-codec.js";
import { JobGenerator, type JobPosition } from "./scheduler/job-generator.js";
import type { Streams } from "./streams.js";
import type { Subscriptions } from "./subscriptions.js";
import { parseRowBudgetMessage, ROW_BUDGET_MS } from "./expr/row-budget.js";
import { expressionPath } from "./query/expression-path.js";
import { prepareExpressions } from "./expr/cel-expression.js";
import { collectAfterDrop } from "./idle-collection.js";
import type { TaskRunner } from "./task-runner.js";
import { jobFigures } from "./job-figures.js";
import { SILENT_LOG, type OperatorLog } from "./operator-log.js";
import { fencedStore } from "./cluster/fenced-store.js";
import { DEFAULT_RETENTION } from "./stream-retention.js";
import { DEFAULT_CATCH_UP_BATCH_BYTES } from "./scheduler/catch-up.js";
import { planReads, readsView, type ReadsView } from "./job-reads.js";

export interface JobView {
  readonly id: string;
  readonly name: string;
  readonly input: string;
  /** Every stream the job reads: `input`, then those a union, join or cogroup adds. */
  readonly inputs: readonly string[];
  readonly status: JobRecord["status"];
  readonly createdAt: number;
  readonly failure: string | null;
  readonly definition: Record<string, unknown>;
  /**
   * `delayMs`: how far behind the job is now, the age of its oldest batch due and not yet done (0:
   * none); `backlogEvents`: events stored into its inputs since this process started that no finished
   * batch has covered yet.
   */
  readonly progress: (ReturnType<JobGenerator["progress"]["toJSON"]> & { readonly delayMs: number; readonly backlogEvents: number; readonly catchUp: CatchUpView | null }) | null;
}

/**
 * How far a job catching up on history is behind, after its latest cut (null before its first):
 * events and bytes it has yet to cut, and the age of the oldest of them (null when none waits).
 */
export interface CatchUpView {
  readonly eventsBehind: number | null;
  readonly bytesBehind: number | null;
  readonly behindMs: number | null;
}

/** An upgrade's answer: the job as it now is, and whether its state was kept (with what differed when not). */
export interface JobUpgrade extends JobView {
  readonly state: "kept" | "reset";
  readonly differences: readonly UpgradeDifference[];
}

/** A registration's answer: the job, which history it will read (see job-reads.ts), and any warnings. */
export interface JobRegistration extends JobView {
  readonly reads: ReadsView;
  readonly warnings: readonly string[];
}

/** A live state query's answer: what the partition that owns `key` holds for it. */
export interface JobStateView {
  readonly jobId: string;
  readonly key: Key | null;
  readonly partition: number;
  readonly found: boolean;
  readonly state: unknown;
}

export interface JobModel {
  readonly jobId: string;
  /** The feature expressions; weights[i] goes with features[i]. */
  readonly features: readonly string[];
  readonly weights: readonly number[];
  readonly intercept: number;
  /** Training batches and labelled examples seen so far. */
  readonly batches: number;
  readonly examples: number;
}

/** This node as its jobs' leases name it. */
export interface JobsNode {
  readonly id: string;
  /** A lease not renewed within this many ms lapses, and another node may take the job. */
  readonly leaseTtlMs: number;
}

/** How Jobs runs its jobs (see EngineOptions for each). */
export interface JobsOptions {
  readonly checkpointIntervalMs: number;
  readonly log?: OperatorLog;
  readonly node?: JobsNode;
  readonly retention?: InputRetention;
  /** Bytes per input partition in one batch of a job catching up on history. */
  readonly catchUpBatchBytes?: number;
  /** Each job checkpoints at its own phase of the interval (see checkpointPhase) rather than all at once. */
  readonly staggerCheckpoints?: boolean;
}

/** The node of a single-process deployment (and of tests that build one engine). */
export const LOCAL_NODE: JobsNode = { id: "local", leaseTtlMs: 10_000 };

/** Where a job runs (GET /v1/cluster). */
export interface JobPlacement {
  readonly id: string;
  readonly status: JobRecord["status"];
  /** The node holding its lease, and the lease's epoch; null when no node does. */
  readonly node: string | null;
  readonly epoch: number | null;
}

/** A dry run's answer (POST /v1/jobs/validate). */
export interface JobValidation {
  readonly valid: true;
  /** The definition as it would be stored, defaults filled in. */
  readonly definition: Record<string, unknown>;
  readonly plan: {
    readonly batchInterval: string;
    /** How often it would emit: its window's slide, or every batch. */
    readonly slide: string;
    readonly inputs: readonly { readonly stream: string; readonly partitions: number }[];
    /** Partitions of its keyed stage, where per-key state lives (0: it has none). */
    readonly keyPartitions: number;
    readonly steps: readonly StepPlacement[];
  };
}

export class Jobs {
  private readonly generators = new Map<string, JobGenerator>();

  /** The lease of every job this node runs (or is starting): its writes carry the lease's fence. */
  private readonly leases = new Map<string, Lease>();

  /** Status changes made through this node so far (see applyStatus). */
  private localStatusChanges = 0;

  /** The status each job running here was last told (pause and resume may come from another node). */
  private readonly appliedStatus = new Map<string, JobRecord["status"]>();

  /** Jobs whose recorded batches are being replayed after a restart: their state is not yet whole. */
  private readonly recovering = new Set<string>();

  /**
   * Registrations that claimed their name and are deploying: delete, pause and resume of that job wait
   * for them, so they never act on a job that is half started.
   */
  private readonly registrations = new Map<string, Promise<void>>();

  /** Changes of a job's definition under way here (see upgrade), each settled. */
  private readonly upgrades = new Map<string, Promise<unknown>>();

  /** Registrations under way here, by job name (see register). */
  private readonly registering = new Map<string, number>();

  /** Jobs being marked failed now: delete waits for it, so no failure is written after the job is gone. */
  private readonly failing = new Map<string, Promise<void>>();

  /** What each job may still need of its inputs, and trimming below it. */
  private readonly retention: InputRetention;

  private readonly checkpointIntervalMs: number;
  private readonly log: OperatorLog;
  private readonly node: JobsNode;
  private readonly catchUpBatchBytes: number;
  private readonly staggerCheckpoints: boolean;

  constructor(
    private readonly store: Store,
    private readonly streams: Streams,
    private readonly runner: TaskRunner,
    private readonly subscriptions: Subscriptions,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    options: JobsOptions,
  ) {
    this.checkpointIntervalMs = options.checkpointIntervalMs;
    this.log = options.log ?? SILENT_LOG;
    this.node = options.node ?? LOCAL_NODE;
    this.retention = options.retention ?? new InputRetention(store, clock, DEFAULT_RETENTION);
    this.catchUpBatchBytes = options.catchUpBatchBytes ?? DEFAULT_CATCH_UP_BATCH_BYTES;
    this.staggerCheckpoints = options.staggerCheckpoints ?? false;
  }

  async register(definition: unknown): Promise<JobRegistration> {
    const { plan, stored, layout } = await this.prepare(definition);
    const { name: id, startFrom } = plan.definition;
    const reads = await planReads(this.store.streams, layout.slots, startFrom, this.clock.now());
    // Keyed by input slot (for a one-input job: by partition).
    const startOffsets: Record<number, number> = {};
    for (const [i, range] of reads.ranges.entries()) startOffsets[i] = range.from;
    const answer = (view: JobView): JobRegistration => ({ ...view, reads: readsView(reads), warnings: reads.warnings });
    const record: JobRecord = { id, definition: stored, status: "running", createdAt: this.clock.now(), startOffsets };
    // Marked before the name is claimed, so this node's coordinator never claims the job meanwhile.
    this.registering.set(id, (this.registering.get(id) ?? 0) + 1);
    try {
      // The name is claimed before anything runs, so of concurrent registrations (here or on another
      // node) exactly one deploys a generator; the others change nothing.
      if (!(await this.store.catalog.createJob(record))) throw new EngineError("JOB_EXISTS", `a job named "${id}" already exists; delete it first or choose another name`);
      // A reader now: the history it was promised is held back from here on (until it has read it).
      this.retention.set(id, offsetsByStream(layout.slots, Object.values(startOffsets)));
      const lease = await this.store.leases.acquire(id, this.node.id, this.node.leaseTtlMs);
      if (lease === undefined) {
        // Another node's coordinator claimed the new job first (or a deleted job's lease has yet to
        // lapse): it runs there, or once the lease lapses.
        this.retention.forget(id); // its node tells what it needs (recordedNeed)
        this.log.info({ job: id, node: this.node.id }, "job registered; another node runs it");
        return answer(this.view(record));
      }
      this.hold(lease);
      const started = this.start(record, plan, layout, reads.history);
      this.registrations.set(id, started);
      try {
        await started;
      } finally {
        if (this.registrations.get(id) === started) this.registrations.delete(id);
      }
    } finally {
      const left = (this.registering.get(id) ?? 1) - 1;
      if (left > 0) this.registering.set(id, left);
      else this.registering.delete(id);
    }
    this.log.info({ job: id, inputs: jobInputs(stored).names, partitions: layout.partitions, startFrom, historyEvents: reads.events }, "job registered");
    return answer(this.view(record));
  }

  /**
   * A dry run of a registration: every check it makes, and where each step would run; nothing is
   * stored or started. Throws as register does for a definition it would refuse.
   */
  async validate(definition: unknown): Promise<JobValidation> {
    const { plan, stored, layout } = await this.prepare(definition);
    const inputs = plan.inputs.map((stream) => ({ stream, partitions: layout.slots.filter((slot) => slot.stream === stream).length }));
    return {
      valid: true,
      definition: stored,
      plan: { batchInterval: plan.batchInterval.toString(), slide: plan.slide.toString(), inputs, keyPartitions: layout.partitions, steps: plan.placements },
    };
  }

  /** The checks of a registration, with event-time defaults filled in: the plan and where it reads. */
  private async prepare(definition: unknown): Promise<{ plan: JobPlan; stored: Record<string, unknown>; layout: JobLayout }> {
    const input = (definition as { input?: unknown } | null)?.input;
    const problems: Problem[] = [];
    const stream = typeof input === "string" ? await this.store.catalog.getStream(input) : undefined;
    const filled = withEventTime(definition, stream, problems);
    if (problems.length > 0) throw invalidJob(problems);
    // Its expressions are parsed one at a time, between turns of the event loop, before the compile
    // (which refuses a definition over its size limit before parsing anything).
    if (definitionSize(filled) <= MAX_DEFINITION_CHARS) await prepareExpressions((filled as { steps?: unknown } | null)?.steps);
    const plan = compileJob(filled);
    // A typed input stream: its fields' types are known, so misuses are refused now, not per row.
    const fields = stream && declaredFieldTypes(stream);
    if (stream && fields) {
      const typeProblems = checkStepTypes(plan.definition, stream.name, fields);
      if (typeProblems.length > 0) throw invalidJob(typeProblems);
    }
    const stored = plan.definition as unknown as Record<string, unknown>;
    return { plan, stored, layout: await layoutOf(this.store.catalog, stored, plan) };
  }

  /** Deploys and starts a job whose name this node has just claimed; undoes the claim when it cannot. */
  private async start(record: JobRecord, plan: JobPlan, layout: JobLayout, catchingUp: boolean): Promise<void> {
    const { id, startOffsets } = record;
    try {
      const generator = this.create(record, plan, layout, { cursor: Object.values(startOffsets), lastSeq: 0, lastBatchTime: 0, catchingUp });
      await this.deploy(record, layout, generator);
      this.retention.set(id, offsetsByStream(layout.slots, Object.values(startOffsets)));
      generator.start();
    } catch (error) {
      this.generators.delete(id);
      await this.giveUpLease(id);
      await this.runner.undeploy(id).catch(() => undefined);
      // Gives the name back. Should the store refuse now, the record stays and the job is brought back
      // like any catalogued job at the next start; the caller learns of the first failure either way.
      await this.store.catalog.deleteJob(id).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Runs a catalogued job here under `lease` (just granted to this node): rebuilt from its last
   * checkpoint and the batches recorded since (job-recovery.ts), ticking again when it is running.
   * A job that cannot be rebuilt is marked failed. False when the lease moved on meanwhile.
   */
  async claim(record: JobRecord, lease: Lease): Promise<boolean> {
    // What is left here of an earlier run of the job (it failed here, and was restarted elsewhere).
    await this.stopHere(record.id);
    this.hold(lease);
    try {
      await this.recover(record);
      return true;
    } catch (error) {
      if ((error as Error).name === "FencedError") {
        await this.stepDown(record.id, "its lease moved to another node while it was being recovered");
        return false;
      }
      if ((error as Error).name === "StoreUnavailableError") {
        // The store is slow or away for now: the job is not broken. It is given up, to be claimed again
        // (here or on another node) once the store answers.
        await this.stepDown(record.id, `the store could not be read to recover it: ${(error as Error).message}`);
        await this.store.leases.release(lease).catch(() => undefined);
        return false;
      }
      const failure = `could not recover: ${(error as Error).message}`;
      await this.store.catalog.putJob({ ...record, status: "failed", failure });
      this.log.warn({ job: record.id, cause: failure }, "job failed");
      await this.stopHere(record.id);
      await this.giveUpLease(record.id);
      return true;
    }
  }

  /** Every catalogued job with the node holding its lease now (null: none, e.g. a failed job). */
  async placement(): Promise<JobPlacement[]> {
    const records = await this.store.catalog.listJobs();
    return Promise.all(
      records.map(async (record) => {
        const holder = await this.store.leases.holder(record.id);
        return { id: record.id, status: record.status, node: holder?.node ?? null, epoch: holder?.epoch ?? null };
      }),
    );
  }

  /** Whether a registration of the job is under way here (the coordinator leaves the job to it). */
  isRegistering(id: string): boolean {
    return this.registering.has(id);
  }

  /** Counts a lease just granted to this node among its own (renewed, and the job's writes fenced with it). */
  hold(lease: Lease): void {
    this.leases.set(lease.jobId, lease);
  }

  /** Whether this node runs the job now (it holds its lease and its generator is here). */
  runsHere(id: string): boolean {
    return this.leases.has(id) && this.generators.has(id);
  }

  /**
   * The jobs this node holds a lease of, and how many of them are not back yet: claimed and waiting
   * to be rebuilt, or replaying their recorded batches (a registration under way counts as back).
   */
  recoveryCounts(): { readonly claimed: number; readonly recovering: number } {
    let recovering = 0;
    for (const id of this.leases.keys()) if (this.recovering.has(id) || (!this.generators.has(id) && !this.registering.has(id))) recovering++;
    return { claimed: this.leases.size, recovering };
  }

  /** The leases of the jobs this node runs. */
  held(): Lease[] {
    return [...this.leases.values()];
  }

  /**
   * Stops running the job here at once and writes nothing more of it: its lease is another node's now
   * (or the job is gone). Its subscribers here keep following its result log.
   */
  async stepDown(id: string, reason: string): Promise<void> {
    if (!this.leases.has(id) && !this.generators.has(id)) return;
    await this.stopHere(id);
    this.leases.delete(id);
    this.log.info({ job: id, node: this.node.id, cause: reason }, "job left this node");
  }

  /**
   * Hands the job over to whichever node claims it next: it finishes the batch it runs, checkpoints
   * where it stands (so its next owner replays little) and gives its lease up.
   */
  async handOver(id: string): Promise<void> {
    // A change of its definition under way here finishes first (it rebuilds the job's generator).
    await this.upgrades.get(id);
    await this.generators.get(id)?.drain();
    await this.stopHere(id);
    await this.giveUpLease(id);
    this.log.info({ job: id, node: this.node.id }, "job handed over");
  }

  /** A count of the status changes made through this node: a record read before the latest is stale. */
  statusChanges(): number {
    return this.localStatusChanges;
  }

  /**
   * Applies a pause or resume recorded in the catalogue (possibly by another node) to a job running
   * here; `readAfter` (statusChanges() before the record was read) makes a record read before a status
   * change made here count as stale, so it undoes nothing.
   */
  applyStatus(record: JobRecord, readAfter = this.localStatusChanges): void {
    const generator = this.generators.get(record.id);
    if (readAfter < this.localStatusChanges) return;
    if (!generator || this.recovering.has(record.id) || this.appliedStatus.get(record.id) === record.status) return;
    if (record.status === "paused") generator.pause();
    else if (record.status === "running") generator.start();
    else return;
    this.appliedStatus.set(record.id, record.status);
  }

  async list(): Promise<JobView[]> {
    const records = await this.store.catalog.listJobs();
    return records.map((r) => this.view(r));
  }

  async get(id: string): Promise<JobView> {
    return this.view(await this.record(id));
  }

  /** Stops the job and removes it with its descriptors, results and checkpoints. */
  async delete(id: string): Promise<void> {
    await this.registered(id);
    await this.record(id);
    // Whichever node runs the job can write nothing of it from now on.
    const seized = await this.store.leases.seize(id, this.node.id, this.node.leaseTtlMs);
    // At once, whatever the job's batch is doing: a task still running on a worker is abandoned there.
    await this.generators.get(id)?.abandon();
    await this.failing.get(id);
    await this.stopHere(id);
    this.leases.delete(id);
    await Promise.all([this.store.batches.drop(id), this.store.results.drop(id), this.store.checkpoints.drop(id)]);
    await this.store.catalog.deleteJob(id);
    await this.store.leases.release(seized).catch(() => undefined);
    this.subscriptions.end(id, "job deleted");
    this.log.info({ job: id }, "job deleted");
    collectAfterDrop();
  }

  /** The current weights of a job's online logistic-regression model. */
  async model(id: string): Promise<JobModel> {
    const record = await this.record(id);
    const steps = (record.definition.steps ?? []) as { op: string; features?: string[] }[];
    const step = steps.find((s) => s.op === "trainLogisticRegression");
    if (!step) throw new EngineError("NO_MODEL", `job "${id}" trains no model; add a trainLogisticRegression step to a job to get one`);
    if (record.status === "failed" || !this.generators.has(id)) throw new EngineError("JOB_NOT_RUNNING", `job "${id}" is ${record.status}; its model is not loaded`);
    // The model is global state, so it lives in reduce partition 0.
    const model = modelOf(decodeState(await this.runner.snapshot(id, 0)));
    return { jobId: id, features: step.features ?? [], ...(model ?? { weights: (step.features ?? []).map(() => 0), intercept: 0, batches: 0, examples: 0 }) };
  }

  /**
   * What a running (or paused) job's state holds for `key` now (undefined: the global group of a job
   * without keyBy), read from the reduce partition that owns the key, between batches.
   */
  async state(id: string, key: Key | undefined): Promise<JobStateView> {
    const record = await this.record(id);
    const generator = this.generators.get(id);
    // Claimed by this node and not yet rebuilt (waiting its turn, or replaying): back in a moment.
    const recovering = this.recovering.has(id) || (record.status !== "failed" && !generator && this.leases.has(id) && !this.registering.has(id));
    if (recovering) throw new EngineError("JOB_NOT_RUNNING", `job "${id}" is being recovered after a restart (from its last checkpoint, then replaying its recorded batches); ask again in a moment`);
    if (record.status === "failed" || !generator) throw new EngineError("JOB_NOT_RUNNING", `job "${id}" is ${record.status}; its state is not loaded`);
    const { plan, partitions } = generator.job;
    const keyed = plan.keyed();
    if (!keyed?.reducer(0).state) {
      throw new EngineError("NO_STATE", `job "${id}" keeps no state from batch to batch; state can be queried for jobs with window, runningAggregate, mapWithState, eventWindow, a windowed join or cogroup, or trainLogisticRegression`);
    }
    const partition = reducePartitionOf(key, partitions);
    try {
      const { found, state } = await this.runner.lookup(id, partition, key);
      return { jobId: id, key: key ?? null, partition, found, state };
    } catch (error) {
      // The job went away (deleted, failed) while its state was being read.
      const now = await this.record(id);
      throw new EngineError("JOB_NOT_RUNNING", `job "${id}" is ${now.status}; its state could not be read: ${(error as Error).message}`);
    }
  }

  async pause(id: string): Promise<JobView> {
    await this.registered(id);
    const record = await this.record(id);
    if (record.status !== "running") throw new EngineError("JOB_NOT_RUNNING", `job "${id}" is ${record.status}; only a running job can be paused`);
    const paused = await this.setStatus(record, "paused");
    this.applyStatus(paused);
    this.log.info({ job: id }, "job paused");
    return this.view(paused);
  }

  async resume(id: string): Promise<JobView> {
    await this.registered(id);
    const record = await this.record(id);
    if (record.status === "failed") throw new EngineError("JOB_NOT_RUNNING", `job "${id}" failed (${record.failure ?? "no reason recorded"}); restart it from its last checkpoint with POST /v1/jobs/${id}/restart`);
    if (record.status !== "paused") throw new EngineError("JOB_NOT_RUNNING", `job "${id}" is ${record.status}; only a paused job can be resumed`);
    const resumed = await this.setStatus(record, "running");
    this.applyStatus(resumed);
    this.log.info({ job: id }, "job resumed");
    return this.view(resumed);
  }

  /**
   * Runs a failed job again from its last complete checkpoint, replaying the batches recorded since,
   * as after a restart of the server (a failure that comes from the job's own definition, such as an
   * expression over its budget, comes back on the same batch: register a corrected job instead).
   */
  async restart(id: string): Promise<JobView> {
    await this.registered(id);
    const record = await this.record(id);
    if (record.status !== "failed") throw new EngineError("JOB_NOT_RUNNING", `job "${id}" is ${record.status}; only a failed job can be restarted (pause and resume a running one)`);
    await this.generators.get(id)?.abandon();
    await this.failing.get(id);
    await this.stopHere(id);
    // A failed job runs nowhere: it is taken here, over any lease it still has.
    this.leases.set(id, await this.store.leases.seize(id, this.node.id, this.node.leaseTtlMs));
    const running: JobRecord = { id: record.id, definition: record.definition, status: "running", createdAt: record.createdAt, startOffsets: record.startOffsets };
    await this.store.catalog.putJob(running);
    try {
      await this.recover(running);
    } catch (error) {
      await this.store.catalog.putJob({ ...running, status: "failed", failure: `could not restart: ${(error as Error).message}` });
      await this.stopHere(id);
      await this.giveUpLease(id);
      throw new EngineError("JOB_NOT_RUNNING", `job "${id}" could not be restarted: ${(error as Error).message}`);
    }
    return this.view(await this.record(id));
  }

  /**
   * Gives a running or paused job a new definition (PUT /v1/jobs/:id). It stops where it stands: every
   * batch already cut runs and is checkpointed, so nothing recorded is replayed under the new plan;
   * then it is rebuilt from that checkpoint with the new definition, like a restart. A change its state
   * cannot survive (upgrade-differences.ts) is refused with each difference, unless `resetState`: then
   * it goes on from its current input position with empty state. Only the node running the job can
   * do this (the route forwards to it).
   */
  async upgrade(id: string, definition: unknown, resetState: boolean): Promise<JobUpgrade> {
    // One change of a job at a time here: each compares with the definition the one before left.
    const before = this.upgrades.get(id) ?? Promise.resolve();
    const mine = before.then(() => this.upgradeNow(id, definition, resetState));
    const settled = mine.catch(() => undefined);
    this.upgrades.set(id, settled);
    try {
      return await mine;
    } finally {
      if (this.upgrades.get(id) === settled) this.upgrades.delete(id);
    }
  }

  private async upgradeNow(id: string, definition: unknown, resetState: boolean): Promise<JobUpgrade> {
    await this.registered(id);
    const record = await this.record(id);
    if (record.status === "failed") throw new EngineError("JOB_NOT_RUNNING", `job "${id}" failed (${record.failure ?? "no reason recorded"}); restart it with POST /v1/jobs/${id}/restart, then change it`);
    const named = definition !== null && typeof definition === "object" && !Array.isArray(definition) ? { name: id, ...definition } : definition;
    if ((named as { name?: unknown } | null)?.name !== id) throw invalidJob([{ path: "name", message: `must be "${id}", the job's id (or leave it out); to rename a job, register a new one` }]);
    const { plan, stored, layout } = await this.prepare(named);
    const oldPlan = compileJob(record.definition);
    const oldLayout = await layoutOf(this.store.catalog, record.definition, oldPlan);
    const shape = (p: JobPlan, l: JobLayout) => ({ plan: p, partitions: l.partitions, slots: l.slots.map((s) => `${s.stream}/${s.partition}`) });
    const differences = upgradeDifferences(shape(oldPlan, oldLayout), shape(plan, layout));
    if (differences.length > 0 && !resetState) {
      const list = differences.map((d) => `${d.path}: ${d.message} (was ${JSON.stringify(d.was)}, now ${JSON.stringify(d.now)})`).join("; ");
      throw new EngineError("INCOMPATIBLE_UPGRADE", `job "${id}" cannot keep its state under the new definition: ${list}; send "state": "reset" to run it from its current input position with empty state, or register a new job`, { differences });
    }
    const generator = this.generators.get(id);
    if (!generator || !this.leases.has(id) || this.recovering.has(id)) {
      throw new EngineError("JOB_NOT_RUNNING", `job "${id}" is not running on this node now (it is being recovered or moved between nodes); retry in a few seconds`);
    }
    // Where it started reading is its registration's: a change goes on from where it stands.
    const upgrading = this.applyUpgrade(record, generator, { ...stored, startFrom: record.definition.startFrom ?? stored.startFrom }, differences.length > 0);
    this.registrations.set(id, upgrading.then(() => undefined));
    try {
      const view = await upgrading;
      return { ...view, state: differences.length > 0 ? "reset" : "kept", differences };
    } finally {
      this.registrations.delete(id);
    }
  }

  private async applyUpgrade(record: JobRecord, generator: JobGenerator, definition: Record<string, unknown>, reset: boolean): Promise<JobView> {
    const { id } = record;
    let upgradedAt: number | undefined;
    try {
      upgradedAt = await generator.settle();
    } catch (error) {
      if (record.status === "running" && this.generators.get(id) === generator) generator.start();
      throw new EngineError("JOB_NOT_RUNNING", `job "${id}" could not be stopped at a checkpoint to change it (${(error as Error).message}); nothing changed, retry`);
    }
    let startOffsets = record.startOffsets;
    if (reset) {
      // Its current position: the end of the last batch run (checkpointed just now), else where it started.
      const [last] = upgradedAt === undefined ? [] : await this.store.batches.list(id, upgradedAt - 1, 1);
      if (last) startOffsets = Object.fromEntries(last.ranges.map((r, i) => [i, r.to]));
    }
    const upgraded: JobRecord = { ...record, definition, startOffsets, ...(reset && upgradedAt !== undefined ? { stateResetAt: upgradedAt } : {}) };
    await this.store.catalog.putJob(upgraded);
    // Never read again once the record says so (stateResetAt): dropped only to free the room.
    if (reset) await Promise.all([this.store.checkpoints.drop(id), this.store.batches.drop(id)]).catch(() => undefined);
    await this.stopHere(id);
    try {
      await this.recover(upgraded);
    } catch (error) {
      if ((error as Error).name === "FencedError" || !this.leases.has(id)) {
        // Its lease lapsed meanwhile: the job is another node's now, which runs it from the catalogue.
        await this.stepDown(id, "its lease moved to another node while its definition was being changed");
        throw new EngineError("JOB_NOT_RUNNING", `job "${id}" moved to another node while it was being changed; its new definition is stored and runs there: check with GET /v1/jobs/${id}`);
      }
      await this.store.catalog.putJob({ ...upgraded, status: "failed", failure: `could not start after its upgrade: ${(error as Error).message}` });
      await this.stopHere(id);
      await this.giveUpLease(id);
      throw new EngineError("JOB_NOT_RUNNING", `job "${id}" could not be started with its new definition: ${(error as Error).message}`);
    }
    this.log.info({ job: id, upgradedAt: upgradedAt ?? null, state: reset ? "reset" : "kept" }, "job upgraded");
    return this.view(await this.record(id));
  }

  /** Names of jobs that read `stream`. */
  readersOf(stream: string): Promise<string[]> {
    return readersOf(this.store.catalog, stream);
  }

  /**
   * How far behind each running job that reads `stream` is, or will be once it has worked through the
   * events already stored for it at its recent rate (JobGenerator.delayMs and expectedDelayMs), and
   * how many events wait for it.
   */
  readerDelays(stream: string): { jobId: string; delayMs: number; backlogEvents: number }[] {
    return [...this.generators.values()]
      .filter((g) => g.job.slots.some((slot) => slot.stream === stream))
      .map((g) => ({ jobId: g.job.id, delayMs: Math.max(g.delayMs(), g.expectedDelayMs()), backlogEvents: g.backlog() }));
  }

  /** Every catalogued job's figures, for a metrics scrape. */
  async figures(): Promise<JobFigures[]> {
    const records = await this.store.catalog.listJobs();
    const sources = { log: this.store.streams, blockEvents: this.streams.blockEvents, now: this.clock.now(), subscribers: (id: string) => this.subscriptions.count(id), subscriberBufferedBytes: (id: string) => this.subscriptions.bufferedBytes(id) };
    return Promise.all(records.map((record) => jobFigures(record, this.generators.get(record.id), sources)));
  }

  async whenIdle(id: string): Promise<void> {
    await this.generators.get(id)?.whenIdle();
  }

  /**
   * For shutdown (the catalogue is left as it is): every job stops ticking, finishes the batch it is
   * running and checkpoints where it stands.
   */
  async closeAll(): Promise<void> {
    const generators = [...this.generators.values()];
    for (const generator of generators) generator.pause();
    await Promise.all(generators.map((g) => g.drain()));
    this.generators.clear();
    // Handed over: another node may claim each job at once, without waiting for its lease to lapse.
    await Promise.all([...this.leases.keys()].map((id) => this.giveUpLease(id)));
  }

  /** Rebuilds a job after a restart, or a restart of the job (see job-recovery.ts). */
  private async recover(record: JobRecord): Promise<void> {
    this.recovering.add(record.id);
    try {
      await recoverJob(
        {
          store: this.store,
          runner: this.runner,
          retention: this.retention,
          log: this.log,
          launch: async (job, plan, layout, position) => {
            const generator = this.create(job, plan, layout, position);
            await this.deploy(job, layout, generator);
            return generator;
          },
        },
        record,
      );
    } finally {
      this.recovering.delete(record.id);
    }
  }

  private create(record: JobRecord, plan: JobPlan, layout: JobLayout, position: JobPosition): JobGenerator {
    const generator = new JobGenerator(
      {
        clock: this.clock,
        store: this.fencedFor(record.id),
        runner: this.runner,
        metrics: this.metrics,
        log: this.log,
        checkpointIntervalMs: this.checkpointIntervalMs,
        staggerCheckpoints: this.staggerCheckpoints,
        publish: (jobId, frame) => this.subscriptions.publish(jobId, frame),
        onFailure: (jobId, error) => void this.fail(jobId, error),
        onRetainedFrom: (jobId, offsets) => this.retention.checkpointed(jobId, offsetsByStream(layout.slots, offsets)),
        forward: (stream, rows, idempotencyKey) => this.streams.ingest(stream, rows, { idempotencyKey }),
        storedEvents: (stream) => this.streams.storedSinceStart(stream),
        oldestStoredAt: (ranges) => this.streams.blockEvents.oldestStoredAt(ranges),
      },
      { id: record.id, createdAt: record.createdAt, slots: layout.slots, partitions: layout.partitions, plan, catchUpBatchBytes: this.catchUpBatchBytes },
      position,
    );
    this.generators.set(record.id, generator);
    this.appliedStatus.set(record.id, record.status);
    return generator;
  }

  /** The store as the holder of the job's lease writes to it. */
  private fencedFor(id: string): Store {
    const lease = this.leases.get(id);
    if (!lease) throw new Error(`job ${id} has no lease on node ${this.node.id}`);
    return fencedStore(this.store, id, lease);
  }

  /** Stops the job's generator here (no write of it starts afterwards) and undeploys it. */
  private async stopHere(id: string): Promise<void> {
    await this.generators.get(id)?.abandon();
    this.generators.delete(id);
    this.appliedStatus.delete(id);
    this.retention.forget(id);
    await this.runner.undeploy(id).catch(() => undefined);
  }

  /** Releases the job's lease (best effort: a lease left behind lapses by itself). */
  private async giveUpLease(id: string): Promise<void> {
    const lease = this.leases.get(id);
    this.leases.delete(id);
    if (lease) await this.store.leases.release(lease).catch(() => undefined);
  }

  private deploy(record: JobRecord, layout: JobLayout, generator: JobGenerator): Promise<void> {
    return this.runner.deploy({ jobId: record.id, definition: record.definition, partitions: layout.partitions, history: generator.history });
  }

  private fail(id: string, error: Error): Promise<void> {
    if (error.name === "FencedError") return this.stepDown(id, error.message);
    const failing = this.markFailed(id, error).finally(() => this.failing.delete(id));
    this.failing.set(id, failing);
    return failing;
  }

  private async markFailed(id: string, error: Error): Promise<void> {
    const record = await this.store.catalog.getJob(id);
    const failure = record ? failureReason(record.definition, error) : error.message;
    if (record) {
      await this.store.catalog.putJob({ ...record, status: "failed", failure });
      this.log.warn({ job: id, cause: failure }, "job failed");
    }
    // A failed job runs nowhere until it is restarted.
    await this.giveUpLease(id);
    this.subscriptions.end(id, `job failed: ${failure}`);
  }

  /** Resolves once a registration of `id` in progress has started the job or given its name back. */
  private async registered(id: string): Promise<void> {
    await this.registrations.get(id)?.catch(() => undefined);
  }

  private async record(id: string): Promise<JobRecord> {
    const record = await this.store.catalog.getJob(id);
    if (!record) throw new EngineError("UNKNOWN_JOB", `no job with id "${id}"; list jobs with GET /v1/jobs`);
    return record;
  }

  private async setStatus(record: JobRecord, status: JobRecord["status"]): Promise<JobRecord> {
    const next = { ...record, status };
    this.localStatusChanges++;
    await this.store.catalog.putJob(next);
    return next;
  }

  /** The job's progress, with how far behind it is now (see JobGenerator.delayMs); null when not running here. */
  private progressOf(id: string): JobView["progress"] {
    const generator = this.generators.get(id);
    if (!generator) return null;
    const lag = generator.progress.catchUpLag();
    const catchUp = lag === undefined ? null : { eventsBehind: lag?.events ?? null, bytesBehind: lag?.bytes ?? null, behindMs: lag?.oldestIngestedAt == null ? null : Math.max(0, this.clock.now() - lag.oldestIngestedAt) };
    return { ...generator.progress.toJSON(), delayMs: generator.delayMs(), backlogEvents: generator.backlog(), catchUp };
  }

  private view(record: JobRecord): JobView {
    return {
      id: record.id,
      name: String(record.definition.name),
      input: String(record.definition.input),
      inputs: jobInputs(record.definition).names,
      status: record.status,
      createdAt: record.createdAt,
      failure: record.failure ?? null,
      definition: record.definition,
      progress: this.progressOf(record.id),
    };
  }
}

/** Why a job failed, as its user can act on it: an expression over its budget is named by its step. */
function failureReason(definition: Record<string, unknown>, error: Error): string {
  const overBudget = parseRowBudgetMessage(error.message);
  if (!overBudget) return error.message;
  const where = expressionPath(definition, overBudget.expression) ?? JSON.stringify(overBudget.expression);
  return `${where} exceeded its ${ROW_BUDGET_MS} ms per row budget (one row took ${overBudget.tookMs} ms); make the expression cheaper (fewer nested map/filter/all/exists over large lists) and register the job again`;
}
