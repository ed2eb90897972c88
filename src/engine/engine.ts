/**
 * The engine's one facade: everything the API may ask of the D-Stream engine. It is wired with a store,
 * a task runner and a clock chosen by main.ts (or by a test), and knows nothing of HTTP or threads.
 */
import type { NodeInfo, ResultFrame, Store, StreamDefinition } from "../store/types.js";
import type { Metrics } from "../metrics/metrics.js";
import type { Clock } from "./clock.js";
import { EngineError } from "./errors.js";
import { NodeCoordinator, type NodeIdentity } from "./cluster/node-coordinator.js";
import { Jobs, LOCAL_NODE, type JobRegistration, type JobPlacement, type JobModel, type JobStateView, type JobUpgrade, type JobValidation, type JobView } from "./jobs.js";
import type { Key } from "./operators/key-by.js";
import type { IngestEncoder } from "./ingest-encoder.js";
import { Streams, type IngestOptions, type IngestReceipt, type StreamSpec } from "./streams.js";
import { Subscriptions, type Subscriber, type Subscription } from "./subscriptions.js";
import { ResultFollower } from "./result-follower.js";
import { InputRetention } from "./input-retention.js";
import { DEFAULT_RETENTION, type RetentionSpec } from "./stream-retention.js";
import { streamView, type StreamView } from "./stream-view.js";
import { DEFAULT_CATCH_UP_BATCH_BYTES } from "./scheduler/catch-up.js";
export type { StreamView, RetainedPartition } from "./stream-view.js";
export type { RetentionSpec } from "./stream-retention.js";

export type { Subscriber, Subscription } from "./subscriptions.js";
export type { JobModel, JobRegistration, JobStateView, JobUpgrade, JobValidation, JobView } from "./jobs.js";
export type { IngestOptions, IngestReceipt, StreamSpec } from "./streams.js";
export type { IngestEncoder } from "./ingest-encoder.js";
export { InlineIngestEncoder } from "./ingest-encoder.js";
export { MAX_DEFINITION_CHARS } from "./query/compile-job.js";
export { EngineError } from "./errors.js";
export { renameAll } from "./query/job-inputs.js";
export { TENANT_SEPARATOR } from "./query/job-definition.js";
import type { TaskRunner } from "./task-runner.js";
import { SILENT_LOG, type OperatorLog } from "./operator-log.js";
import { StoreReachability } from "./store-reachability.js";
import { timedStore } from "./timed-store.js";
export type { OperatorLog } from "./operator-log.js";

/** The nodes sharing the store, and which of them runs each job (GET /v1/cluster). */
export interface ClusterView {
  /** The node that answered. */
  readonly node: string;
  readonly nodes: readonly NodeInfo[];
  readonly jobs: readonly JobPlacement[];
}

/** The jobs this node claimed and how many are not back yet (claimed, or replaying their batches). */
export interface JobRecovery {
  /** False until this node's first cluster round has claimed its share of the jobs. */
  readonly started: boolean;
  readonly claimed: number;
  readonly recovering: number;
}

export interface EngineOptions {
  readonly store: Store;
  readonly runner: TaskRunner;
  readonly clock: Clock;
  readonly metrics: Metrics;
  /** Partitions of a stream created without saying how many. */
  readonly defaultPartitions?: number;
  /** Minimum time between a job's checkpoints, rounded up to whole slides (default 10 s). */
  readonly checkpointIntervalMs?: number;
  /**
   * Each job checkpoints at its own whole-slide phase of the interval, picked from its name, instead
   * of every job in the same batch (default false: on multiples of the interval, as tests expect).
   */
  readonly staggerCheckpoints?: boolean;
  /** What parses, checks and encodes raw ingest bodies (default: inline, on the calling thread). */
  readonly ingestEncoder?: IngestEncoder;
  /** Where job events (registered, failed, recovered, ...) and the store's reachability are told (default: nowhere). */
  readonly log?: OperatorLog;
  /** This node, as the other nodes sharing the store see it (default: a lone node named "local"). */
  readonly node?: NodeIdentity;
  /** The retention of a stream declared without one (default {@link DEFAULT_RETENTION}). */
  readonly retention?: RetentionSpec;
  /** How often every stream is trimmed to its retention, in ms (default 30 s; also after each checkpoint). */
  readonly retentionCheckMs?: number;
  /** At most this many bytes per input partition in one batch of a job catching up on history (default 64 MiB). */
  readonly catchUpBatchBytes?: number;
}

export interface Engine {
  declareStream(spec: StreamSpec): Promise<StreamDefinition>;
  listStreams(): Promise<StreamDefinition[]>;
  /** The stream with its retention and what each partition retains now. */
  getStream(name: string): Promise<StreamView>;
  deleteStream(name: string): Promise<void>;
  /** Stores the events durably (one block per partition touched) before resolving. */
  ingest(stream: string, events: readonly unknown[], options?: IngestOptions): Promise<IngestReceipt>;
  /** The same for a raw NDJSON body, parsed once by the ingest encoder (off the main thread when it has threads). */
  ingestNdjson(stream: string, body: Uint8Array, options?: IngestOptions): Promise<IngestReceipt>;
  /**
   * How far behind (ms) each running job that reads `stream` is now (the age of its oldest unfinished
   * batch) or will be once it has processed the events already stored for it, at its recent rate.
   */
  readerDelays(stream: string): Promise<{ jobId: string; delayMs: number; backlogEvents: number }[]>;

  /** Registers and starts a job; the answer says which history it will read, with any warnings. */
  registerJob(definition: unknown): Promise<JobRegistration>;
  /**
   * Trims every stream now as far as its retention and its readers allow (this also runs every
   * retentionCheckMs, and for a job's inputs after each of its checkpoints).
   */
  enforceRetention(): Promise<void>;
  /** A dry run of registerJob: its checks, and where each step would run; nothing is stored. */
  validateJob(definition: unknown): Promise<JobValidation>;
  /** Runs a failed job again from its last checkpoint. */
  restartJob(id: string): Promise<JobView>;
  /**
   * Gives a running or paused job running on this node a new definition, keeping its state when the
   * change allows (else refused, unless `resetState`; see Jobs.upgrade).
   */
  upgradeJob(id: string, definition: unknown, resetState: boolean): Promise<JobUpgrade>;
  listJobs(): Promise<JobView[]>;
  getJob(id: string): Promise<JobView>;
  deleteJob(id: string): Promise<void>;
  pauseJob(id: string): Promise<JobView>;
  /** The current weights of the job's online logistic-regression model. */
  jobModel(id: string): Promise<JobModel>;
  /** What the job's state holds for one key now (undefined: the global group). */
  jobState(id: string, key: Key | undefined): Promise<JobStateView>;
  resumeJob(id: string): Promise<JobView>;

  /** Retained result frames with seq >= from. */
  results(jobId: string, from: number, limit: number): Promise<{ frames: ResultFrame[]; first: number; last: number }>;
  /** The newest `count` retained result frames, oldest first. */
  newestResults(jobId: string, count: number): Promise<{ frames: ResultFrame[]; first: number; last: number }>;
  subscribe(jobId: string, from: number | undefined, subscriber: Subscriber): Promise<Subscription>;
  /** Recorded batch descriptors after `afterBatchTime`: which blocks each batch covered. */
  batches(jobId: string, afterBatchTime: number, limit: number): ReturnType<Store["batches"]["list"]>;

  /** Resolves once the job has processed every batch cut so far (tests and benchmarks use it). */
  whenIdle(jobId: string): Promise<void>;
  /** Whether the store can take writes now. */
  ready(): Promise<boolean>;
  /** The live nodes and where each job runs. */
  cluster(): Promise<ClusterView>;
  /**
   * The live node that runs the job when it is another node (its id and address): what only the
   * job's node knows (progress, state, model) is asked of it. Undefined when it runs here, nowhere,
   * or its node is not live.
   */
  jobOwner(id: string): Promise<{ readonly node: string; readonly address: string } | undefined>;
  /** How far this node is in bringing back the jobs it claimed (GET /readyz). */
  recovery(): JobRecovery;
  /**
   * Starts the node: claims its share of the catalogued jobs and rebuilds them in the background,
   * several at a time, each ticking again as soon as it is back. Resolves once the jobs claimed at
   * start are all back (tests wait for it; main.ts serves meanwhile).
   */
  start(): Promise<void>;
  /**
   * Stops batch loops: each finishes the batch it is running and checkpoints where it stands. The
   * store and runner are closed by whoever opened them.
   */
  stop(): Promise<void>;
}

export function createEngine(options: EngineOptions): Engine {
  const { runner, clock, metrics } = options;
  const store = timedStore(options.store, metrics);
  const subscriptions = new Subscriptions(store.results, clock);
  // A job that runs here publishes its frames itself; the others' are followed in the result log.
  const follower = new ResultFollower({ results: store.results, catalog: store.catalog, subscriptions, clock, isLocal: (id) => jobs.runsHere(id) });
  const streams = new Streams(store.catalog, store.streams, clock, metrics, options.defaultPartitions ?? 4, options.ingestEncoder);
  const log = options.log ?? SILENT_LOG;
  const node = options.node ?? { ...LOCAL_NODE, address: () => "" };
  const retention = new InputRetention(store, clock, options.retention ?? DEFAULT_RETENTION);
  const jobs = new Jobs(store, streams, runner, subscriptions, clock, metrics, {
    checkpointIntervalMs: options.checkpointIntervalMs ?? 10_000,
    log,
    node,
    retention,
    catchUpBatchBytes: options.catchUpBatchBytes ?? DEFAULT_CATCH_UP_BATCH_BYTES,
    staggerCheckpoints: options.staggerCheckpoints ?? false,
  });
  const retentionCheckMs = options.retentionCheckMs ?? 30_000;
  let cancelRetention: (() => void) | undefined;
  const enforceRetention = (): void => {
    cancelRetention = clock.setTimer(clock.now() + retentionCheckMs, () => {
      void retention.enforceAll().catch((error: Error) => log.warn({ cause: error.message }, "retention check failed")).finally(() => {
        if (cancelRetention !== undefined) enforceRetention();
      });
    });
  };
  const coordinator = new NodeCoordinator(node, store, jobs, log);
  const reachability = new StoreReachability(() => store.ping(), clock, log, store.kind);
  const existingJob = (id: string) => jobs.get(id);
  metrics.observe(async () => {
    const [figures, known] = await Promise.all([jobs.figures(), streams.list()]);
    return { jobs: figures, streams: known.map((s) => s.name) };
  });

  return {
    declareStream: (spec) => streams.declare(spec),
    listStreams: () => streams.list(),
    getStream: async (name) => {
      const stream = await streams.get(name);
      return streamView(stream, store.streams, retention.retentionSpec(stream));
    },
    async deleteStream(name) {
      const readers = await jobs.readersOf(name);
      if (readers.length > 0) throw new EngineError("STREAM_IN_USE", `stream "${name}" is read by job(s) ${readers.join(", ")}; delete those jobs first`);
      await streams.delete(name);
    },
    ingest: (stream, events, options) => streams.ingest(stream, events, options),
    ingestNdjson: (stream, body, options) => streams.ingestNdjson(stream, body, options),
    readerDelays: async (stream) => jobs.readerDelays(stream),

    registerJob: (definition) => jobs.register(definition),
    enforceRetention: () => retention.enforceAll(),
    validateJob: (definition) => jobs.validate(definition),
    restartJob: (id) => jobs.restart(id),
    upgradeJob: (id, definition, resetState) => jobs.upgrade(id, definition, resetState),
    listJobs: () => jobs.list(),
    getJob: (id) => jobs.get(id),
    deleteJob: (id) => jobs.delete(id),
    pauseJob: (id) => jobs.pause(id),
    jobModel: (id) => jobs.model(id),
    jobState: (id, key) => jobs.state(id, key),
    resumeJob: (id) => jobs.resume(id),

    async results(jobId, from, limit) {
      await existingJob(jobId);
      const [frames, bounds] = await Promise.all([store.results.read(jobId, from, limit), store.results.bounds(jobId)]);
      return { frames, ...bounds };
    },
    async newestResults(jobId, count) {
      await existingJob(jobId);
      const [frames, bounds] = await Promise.all([store.results.readNewest(jobId, count), store.results.bounds(jobId)]);
      return { frames, ...bounds };
    },
    async subscribe(jobId, from, subscriber) {
      const job = await existingJob(jobId);
      const subscription = await subscriptions.subscribe(jobId, from, subscriber);
      follower.follow(jobId, subscription.lastSeq, job);
      metrics.subscribers.set({ job_name: jobId }, subscriptions.count(jobId));
      return {
        ...subscription,
        close() {
          subscription.close();
          metrics.subscribers.set({ job_name: jobId }, subscriptions.count(jobId));
        },
      };
    },
    async batches(jobId, afterBatchTime, limit) {
      await existingJob(jobId);
      return store.batches.list(jobId, afterBatchTime, limit);
    },

    whenIdle: (jobId) => jobs.whenIdle(jobId),
    ready: () => reachability.check(),
    async cluster() {
      const [nodes, placement] = await Promise.all([store.members.live(), jobs.placement()]);
      return { node: node.id, nodes, jobs: placement };
    },
    async jobOwner(id) {
      if (jobs.runsHere(id)) return undefined;
      const holder = await store.leases.holder(id);
      if (holder === undefined || holder.node === node.id) return undefined;
      const owner = (await store.members.live()).find((n) => n.id === holder.node);
      return owner === undefined || owner.address === "" ? undefined : { node: owner.id, address: owner.address };
    },
    recovery() {
      return { started: coordinator.claimedShare, ...jobs.recoveryCounts() };
    },
    async start() {
      reachability.start();
      enforceRetention();
      const began = Date.now();
      await coordinator.start();
      const { claimed } = jobs.recoveryCounts();
      if (claimed > 0) log.info({ node: node.id, jobs: claimed }, "recovering jobs");
      await coordinator.startupRebuilt();
      if (claimed > 0) log.info({ node: node.id, jobs: claimed, ms: Date.now() - began }, "every job claimed at start is back");
    },
    async stop() {
      reachability.stop();
      const cancel = cancelRetention;
      cancelRetention = undefined;
      cancel?.();
      await coordinator.stop();
      follower.stop();
      await jobs.closeAll();
      await coordinator.leave();
    },
  };
}
