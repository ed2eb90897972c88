/**
 * The port through which the scheduler hands partition tasks to whoever runs them: the worker pool in
 * production, an in-thread runner in unit tests. Tasks carry block payloads and packed shuffle data
 * (transferable buffers), never arrays of event objects. Reduce partitions keep their state where they
 * run; the runner owns that placement and rebuilds a lost partition from its history.
 */
import type { RowErrorReport } from "./stages/row-errors.js";
import type { Interval } from "./time.js";
import type { Key } from "./operators/key-by.js";

/** Run the narrow steps on one input partition's blocks of one batch. Stateless: can run anywhere. */
export interface MapTask {
  readonly jobId: string;
  readonly batchTime: number;
  /** The task's place among the batch's map tasks: its input partitions, input by input. */
  readonly partition: number;
  /** Which of the job's inputs the blocks come from (JobPlan.inputs; absent: 0, its own). */
  readonly input?: number;
  readonly blocks: readonly Uint8Array[];
}

export interface MapResult {
  readonly events: number;
  readonly rowErrors: RowErrorReport;
  /** With a keyed step: packed partial groups, one per reduce partition. */
  readonly shares?: readonly Uint8Array[];
  /** Without one: the packed rows of this partition. */
  readonly rows?: Uint8Array;
}

/** Merge one reduce partition's shares of a batch into its state and emit its rows. */
export interface ReduceTask {
  readonly jobId: string;
  readonly batchTime: number;
  readonly partition: number;
  /**
   * One packed share per map task, in map-partition order. With an event-time step each share
   * also carries its map partition's largest event time (see shuffle-codec.ts), so every reduce
   * partition derives the same watermark from its task alone, on first run and on replay.
   */
  readonly shares: readonly Uint8Array[];
}

export interface ReduceResult {
  /** False between two slides of a window: no frame is due at this batch time. */
  readonly emitted: boolean;
  readonly rows: Uint8Array;
  readonly window: Interval | null;
  readonly stateSize: number;
  readonly rowErrors: RowErrorReport;
  /** Events an event-time step dropped because every window they belong to had closed (0 or absent: none). */
  readonly lateEvents?: number;
  /** An event-time step's watermark after this batch (event time, ms); absent without one, or before any event. */
  readonly watermark?: number;
}

/**
 * What a runner needs to rebuild a reduce partition it lost: the newest complete checkpoint of the
 * partition (none: start empty) and every reduce task that completed since, in order.
 */
export interface PartitionHistory {
  since(partition: number): Promise<{ snapshot: Uint8Array | undefined; tasks: readonly ReduceTask[] }>;
}

/** What a reduce partition's state holds for one key (a live state query). */
export interface StateLookup {
  readonly found: boolean;
  /** JSON: the key's row, windows, user state or model; null when not found. */
  readonly state: unknown;
}

export interface JobDeployment {
  readonly jobId: string;
  /** The job's JSON definition, compiled where it runs. */
  readonly definition: Record<string, unknown>;
  /** How many reduce partitions the job has (0: no keyed step, map tasks only). */
  readonly partitions: number;
  readonly history: PartitionHistory;
}

export interface TaskRunner {
  /** Creates the job's reduce partitions with empty state. */
  deploy(deployment: JobDeployment): Promise<void>;
  map(task: MapTask): Promise<MapResult>;
  reduce(task: ReduceTask): Promise<ReduceResult>;
  /** The packed state of one reduce partition, taken between batches. */
  snapshot(jobId: string, partition: number): Promise<Uint8Array>;
  /** What one reduce partition's state holds for `key` (undefined: the global group). */
  lookup(jobId: string, partition: number, key: Key | undefined): Promise<StateLookup>;
  /** Replaces one reduce partition's state (after a restart, from a checkpoint). */
  restore(jobId: string, partition: number, snapshot: Uint8Array): Promise<void>;
  undeploy(jobId: string): Promise<void>;
  close(): Promise<void>;
}
