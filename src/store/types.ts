/**
 * The durable side of Tributary, as small interfaces. The engine depends on these types only; main.ts
 * picks an implementation (embedded files, or Redis) and hands it in. One conformance suite
 * (test/integration/store) runs against every implementation.
 */

/** A declared stream: how its events are partitioned and what they must look like. */
export interface StreamDefinition {
  readonly name: string;
  readonly partitions: number;
  /** Field whose value routes an event to a partition (by hash); round-robin when absent. */
  readonly keyField?: string;
  /**
   * The field that identifies an event: an event whose id this stream already stored (within the
   * idempotency retention) is not stored again. Each event is then its own block.
   */
  readonly idField?: string;
  /** Field holding the event's own timestamp (ms since epoch or ISO-8601 text). */
  readonly eventTimeField?: string;
  /** JSON Schema (subset) that every event must satisfy. */
  readonly schema?: Record<string, unknown>;
  readonly createdAt: number;
}

/** One accepted ingest request's events for one partition: serialized once, never rewritten. */
export interface Block {
  /** Position in its partition: 0, 1, 2, ... */
  readonly offset: number;
  /** Number of events in `payload`. */
  readonly count: number;
  readonly appendedAt: number;
  readonly payload: Uint8Array;
}

/** The blocks [from, to) of one partition of one stream. */
export interface BlockRange {
  readonly stream: string;
  readonly partition: number;
  readonly from: number;
  readonly to: number;
}

/** What one batch of one job covers, written before the batch runs so it can be recomputed exactly. */
export interface BatchDescriptor {
  readonly jobId: string;
  readonly batchTime: number;
  readonly ranges: readonly BlockRange[];
}

/** One batch's output as subscribers see it. `seq` is per job, 1, 2, 3, ... with no gaps. */
export interface ResultFrame {
  readonly seq: number;
  readonly batchTime: number;
  readonly window: { readonly start: number; readonly end: number } | null;
  readonly rows: readonly Record<string, unknown>[];
}

export type JobStatus = "running" | "paused" | "stopped" | "failed";

/** A registered job as the catalogue keeps it. */
export interface JobRecord {
  readonly id: string;
  readonly definition: Record<string, unknown>;
  readonly status: JobStatus;
  readonly createdAt: number;
  /** Where the job began reading each input partition: the first batch starts here. */
  readonly startOffsets: Readonly<Record<number, number>>;
  readonly failure?: string;
}

/** One block to append. */
export interface BlockAppend {
  readonly count: number;
  readonly payload: Uint8Array;
  /**
   * The ingest request's idempotency key. When this partition already holds a block with the same
   * requestId (appended within the store's idempotency retention), nothing is appended and that
   * block's offset is returned with `duplicate: true`. Checked and appended atomically.
   */
  readonly requestId?: string;
}

export interface AppendResult {
  readonly offset: number;
  readonly duplicate: boolean;
}

export interface StreamLog {
  /** Appends one block (or finds its duplicate); resolves only once the block is stored. */
  append(stream: string, partition: number, block: BlockAppend): Promise<AppendResult>;
  /** One past the offset of the last stored block of this partition (0 when empty). */
  endOffset(stream: string, partition: number): Promise<number>;
  /** The oldest offset still retained (0 until the partition is trimmed). */
  startOffset(stream: string, partition: number): Promise<number>;
  /** Retained blocks with from <= offset < to, in order. Returned bytes belong to the caller. */
  read(range: BlockRange): Promise<Block[]>;
  /** Drops blocks with offset < beforeOffset; later offsets do not change. Never trims past the end. */
  trim(stream: string, partition: number, beforeOffset: number): Promise<void>;
  /** Removes every block of the stream. */
  drop(stream: string): Promise<void>;
}

export interface BatchLog {
  /** Records a descriptor; recording the same batchTime again replaces it. */
  record(descriptor: BatchDescriptor): Promise<void>;
  /** Drops descriptors with batchTime < beforeBatchTime. */
  trim(jobId: string, beforeBatchTime: number): Promise<void>;
  /** Descriptors with batchTime > afterBatchTime, oldest first, at most `limit`. */
  list(jobId: string, afterBatchTime: number, limit: number): Promise<BatchDescriptor[]>;
  last(jobId: string): Promise<BatchDescriptor | undefined>;
  drop(jobId: string): Promise<void>;
}

export interface ResultLog {
  /** Appends a frame; frames must arrive with seq = last seq + 1. Keeps at most the configured history. */
  append(jobId: string, frame: ResultFrame): Promise<void>;
  /** Retained frames with seq >= fromSeq, oldest first, at most `limit`. */
  read(jobId: string, fromSeq: number, limit: number): Promise<ResultFrame[]>;
  /** The oldest retained and the newest seq (0 and 0 when none yet). */
  bounds(jobId: string): Promise<{ first: number; last: number }>;
  drop(jobId: string): Promise<void>;
}

export interface Catalog {
  /**
   * Claims the stream's name: stores the definition only when no stream of that name exists, checked
   * and written atomically (two creators of one name, in one process or on two nodes: exactly one gets
   * true). False, with nothing written, when the name is taken.
   */
  createStream(stream: StreamDefinition): Promise<boolean>;
  /** Stores the definition, replacing any stream of that name. */
  putStream(stream: StreamDefinition): Promise<void>;
  getStream(name: string): Promise<StreamDefinition | undefined>;
  listStreams(): Promise<StreamDefinition[]>;
  deleteStream(name: string): Promise<void>;
  /** Claims the job's id, like {@link createStream}: true for exactly one of concurrent creators. */
  createJob(job: JobRecord): Promise<boolean>;
  /** Stores the record, replacing any job with that id. */
  putJob(job: JobRecord): Promise<void>;
  getJob(id: string): Promise<JobRecord | undefined>;
  listJobs(): Promise<JobRecord[]>;
  deleteJob(id: string): Promise<void>;
}

/**
 * A job's running totals since it was registered, as of one batch (GET /v1/jobs/:id `progress`). A
 * checkpoint carries them, so a restarted job continues them instead of counting from 0.
 */
export interface JobCounters {
  readonly batches: number;
  readonly events: number;
  readonly rowErrors: number;
  readonly lateEvents: number;
}

/** Per-partition state snapshots; a checkpoint is complete once every partition of the job committed it. */
export interface CheckpointStore {
  save(jobId: string, batchTime: number, partition: number, state: Uint8Array): Promise<void>;
  /**
   * Marks the checkpoint at batchTime complete (all `partitions` saved; 0 for a job that keeps no
   * state) and stores the job's counters as of that batch in the same atomic write; keeps the last two
   * complete ones. Without `counters` the checkpoint carries none, as checkpoints written before they
   * existed.
   */
  complete(jobId: string, batchTime: number, partitions: number, counters?: JobCounters): Promise<void>;
  /** Newest complete checkpoint first. */
  listComplete(jobId: string): Promise<number[]>;
  load(jobId: string, batchTime: number, partition: number): Promise<Uint8Array | undefined>;
  /** The counters completed with the checkpoint at batchTime; undefined when it is not complete or carries none. */
  counters(jobId: string, batchTime: number): Promise<JobCounters | undefined>;
  drop(jobId: string): Promise<void>;
}

export interface Store {
  readonly kind: "embedded" | "redis";
  readonly streams: StreamLog;
  readonly batches: BatchLog;
  readonly results: ResultLog;
  readonly catalog: Catalog;
  readonly checkpoints: CheckpointStore;
  /** Resolves when the store can take writes; rejects (StoreUnavailableError) when it cannot. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Raised by a store that cannot read or write durably right now; the API answers 503 + Retry-After. */
export class StoreUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoreUnavailableError";
  }
}
