/** The shape of bench/results/latest.json: the fields, and the details behind each. */
import type { NexmarkFigures } from "./nexmark/measure.js";
import type { QueryName } from "./nexmark/queries.js";
import type { WorkloadName } from "./workloads.js";

/** A figure that could not be measured is null, with the reason next to it. */
export interface Unmeasured {
  readonly reason?: string;
}

export interface WorkloadFigures extends Unmeasured {
  engineRecordsPerSec: number | null;
  baselineRecordsPerSec: number | null;
  ratioToBaseline: number | null;
  rxjsRecordsPerSec: number | null;
  ratioToRxjs: number | null;
  e2eRecordsPerSec: number | null;
  /** Which runner the engine figure used ("pool" with N workers, or "in-thread"). */
  engineRunner?: string;
  engineInThreadRecordsPerSec?: number | null;
  /** Map tasks the pool re-ran speculatively during the engine run. */
  speculativeTasks?: number;
  recordsPerBatch?: number;
  measuredBatches?: number;
  e2eSteps?: E2eStep[];
  e2eReason?: string;
}

export interface E2eStep {
  batchIntervalMs: number;
  offeredRecordsPerSec: number;
  achievedRecordsPerSec: number;
  sustainable: boolean;
  /** Highest scheduling delay in the first and second half of the judged part of the step. */
  schedulingDelayMs: { firstHalf: number; secondHalf: number };
  pendingBatchesAtEnd: number;
  /** Longest batch processing time seen in the judged part. */
  maxProcessingMs: number;
  p50Ms: number | null;
  p99Ms: number | null;
  latencySamples: number;
  /** "checked", or why the answers could not be checked (they are when the step catches up). */
  answers: string;
  why?: string;
}

export interface LatencyPoint {
  batchIntervalMs: number;
  loadRecordsPerSec: number;
  /** Load as a fraction of the grep end-to-end peak. */
  fractionOfPeak: number;
  p50Ms: number | null;
  p99Ms: number | null;
  samples: number;
  achievedRecordsPerSec: number;
  /** p99 <= batch interval + 100 ms. */
  withinTarget: boolean | null;
}

export interface Target {
  readonly name: string;
  readonly target: string;
  readonly value: number | null;
  readonly met: boolean | null;
}

/** Wordcount on a 1-worker and a 2-worker pool taking turns of a few batches on the same batches. */
export interface ScalingFigures {
  readonly ratio: number | null;
  readonly recordsPerBatch: number;
  /** Window length in 1 s batches. */
  readonly windowBatches: number;
  readonly oneWorkerRecordsPerSec: number;
  readonly twoWorkersRecordsPerSec: number;
  /** Consecutive batches each pool runs in its turn; the first of each turn is not in `ratio`. */
  readonly turnBatches: number;
  /** The ratio over every batch after the window fills, the first batch of each turn too. */
  readonly everyBatchRatio: number | null;
  /** Mean milliseconds of the first batch of a turn, 1-worker pool then 2-worker pool (after the window fills). */
  readonly firstOfTurnMs: readonly number[];
  /** Mean milliseconds of the other batches of a turn (the measured ones), 1-worker then 2-worker pool. */
  readonly restOfTurnMs: readonly number[];
  /** Map tasks re-run speculatively, 1-worker pool then 2-worker pool. */
  readonly speculativeTasks: readonly number[];
}

export interface BenchResults {
  mode: "quick" | "full";
  startedAt: string;
  durationSec: number;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string };
  setup: Record<string, unknown>;
  workloads: Record<WorkloadName, WorkloadFigures>;
  latency: LatencyPoint[];
  /** At batches near capacity (the figure), and on the throughput runs' small batches. */
  scaling: (Partial<ScalingFigures> & { ratio: number | null; workload?: string; smallBatches?: ScalingFigures; machine?: import("./machine-scaling.js").MachineScaling }) & Unmeasured;
  incrementalWindow: { ratio: number | null; medianRatio?: number | null; slideRatio?: number | null; shortCheckpointBatchMs?: number; longCheckpointBatchMs?: number; shortWindowMsPerBatch?: number; longWindowMsPerBatch?: number; shortWindowSec?: number; longWindowSec?: number; recordsPerBatch?: number; workload?: string; runner?: string; measuredBatches?: number } & Unmeasured;
  /** CPU per slide of a window with emit "all" and with emit "changes" (absent in older results). */
  windowEmit?: import("./window-emit.js").WindowEmitFigures;
  /** CPU per slide of a max window (no inverse), sliding and tumbling (absent in older results). */
  windowMax?: import("./window-max.js").WindowMaxFigures;
  /** A job started from "earliest" working through a stream's history (absent in older results). */
  catchUp?: import("./catch-up.js").CatchUpFigures;
  /** A server running 100 jobs of the examples, SIGKILLed and started again (absent in older results). */
  serverRestartWithJobs?: import("./restart-many-jobs.js").ManyJobsRestartFigures;
  recovery: {
    workerKillMs: number | null;
    serverRestartMs: number | null;
    workerKill?: Record<string, unknown> & Unmeasured;
    serverRestart?: Record<string, unknown> & Unmeasured;
  };
  /**
   * `bytesPerWindowKey`: what one key of a 30 s window's state holds (live heap and buffers with the
   * job, minus the same once it is deleted, per key); `rssAfterDeletingJobsBytes`: the resident set
   * size after `deletedJobs.jobs` windowed jobs were created, run and deleted (see memory.ts).
   */
  memory: {
    rssBytesPerMillionKeys: number | null;
    bytesPerWindowKey?: number | null;
    rssAfterDeletingJobsBytes?: number | null;
    keys?: number;
    peakRssBytes?: number;
    baseRssBytes?: number;
    stateKeys?: number;
    stateBytes?: number;
    deletedJobs?: { jobs: number; batches: number; rssWithOneJobBytes: number; rssWithJobsBytes: number; rssAfterDeletingJobsBytes: number; workerHeapBytes: { withOneJob: number; withJobs: number; afterDeleting: number } };
  } & Unmeasured;
  /** Batch time with a slowed worker, with and without speculation, against none slowed. */
  stragglers: import("./straggler.js").StragglerFigures;
  /** Ingest acknowledged by the server on Redis ÷ on the embedded store, same bodies, same run. */
  ingest: { embeddedRecordsPerSec: number | null; redisRecordsPerSec: number | null; ratio: number | null; reason?: string };
  /** N windowed wordcount jobs on one stream at a fixed rate, emit "all" and "changes" (absent in older results). */
  manyJobs?: import("./many-jobs.js").ManyJobsRow[];
  /** 20 jobs at 100 ms batches (absent in older results). */
  fastBatches?: import("./many-jobs.js").FastBatchesFigures;
  /** Cluster mode: a node SIGKILLed, and 30 jobs on 3 nodes against 1 (absent in older results). */
  cluster?: { failover?: import("./cluster-failover.js").ClusterFailoverFigures; jobs?: import("./cluster-jobs.js").ClusterJobsFigures };
  /** Nexmark queries: engine events/s per core beside Flink's published figure, and the answer check. */
  nexmark: Partial<Record<QueryName, NexmarkFigures>>;
  targets: Target[];
  /** Wrong answers found: any makes the run fail. */
  failures: string[];
  /** Sections that could not run, and why. */
  notes: string[];
}
