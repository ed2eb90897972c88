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
  /**
   * How long ("7d") and how many bytes ("1GiB", over all partitions) of blocks are kept even once no
   * job needs them; "forever" keeps all. Absent: the server's defaults at the time.
   */
  readonly retention?: "forever" | { readonly time?: string; readonly bytes?: string };
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

/**
 * One batch's output as subscribers see it. `seq` is per job, 1, 2, 3, ... with no gaps: live
 * subscribers get every frame, but a result log keeps a frame with no rows only while it is recent.
 */
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
  /**
   * The batch time up to which its state was dropped (PUT /v1/jobs/:id with "state": "reset"): its
   * checkpoints and recorded batches at or before it belong to an earlier definition and are never
   * loaded or replayed; it goes on from `startOffsets`.
   */
  readonly stateResetAt?: number;
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

/** What one partition of a stream retains now. */
export interface PartitionExtent {
  /** The oldest retained offset, and one past the newest (equal when nothing is retained). */
  readonly start: number;
  readonly end: number;
  /** Events, and payload bytes, in the retained blocks. */
  readonly events: number;
  readonly bytes: number;
  /** When the oldest retained block was appended (ms since epoch); null when none is retained. */
  readonly oldestAppendedAt: number | null;
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
  /**
   * What the partition retains: its offsets, and the events, bytes and oldest append time of the
   * retained blocks from offset `from` on (from its start when not given).
   */
  extent(stream: string, partition: number, from?: number): Promise<PartitionExtent>;
  /**
   * The first retained offset whose block was appended at or after `time` (ms since epoch); the end
   * offset when none was. Blocks are appended in time order, so every later block is too.
   */
  offsetAt(stream: string, partition: number, time: number): Promise<number>;
  /**
   * The smallest retained offset from which the blocks up to the end hold at most `bytes` payload
   * bytes: what a byte retention of `bytes` keeps (the end offset for 0).
   */
  offsetKeepingBytes(stream: string, partition: number, bytes: number): Promise<number>;
  /** Drops blocks with offset < beforeOffset; later offsets do not change. Never trims past the end. */
  trim(stream: string, partition: number, beforeOffset: number): Promise<void>;
  /** Removes every block of the stream. */
  drop(stream: string): Promise<void>;
}

export interface BatchLog {
  /** Records a descriptor; recording the same batchTime again replaces it. */
  record(descriptor: BatchDescriptor, fence?: Fence): Promise<void>;
  /** Drops descriptors with batchTime < beforeBatchTime. */
  trim(jobId: string, beforeBatchTime: number, fence?: Fence): Promise<void>;
  /** Descriptors with batchTime > afterBatchTime, oldest first, at most `limit`. */
  list(jobId: string, afterBatchTime: number, limit: number): Promise<BatchDescriptor[]>;
  last(jobId: string): Promise<BatchDescriptor | undefined>;
  drop(jobId: string): Promise<void>;
}

export interface ResultLog {
  /**
   * Appends a frame; frames must arrive with seq = last seq + 1. Keeps at most the configured history
   * (ResultHistoryBounds): a frame without rows only while among the newest seqs, the newest always.
   */
  append(jobId: string, frame: ResultFrame, fence?: Fence): Promise<void>;
  /** Retained frames with seq >= fromSeq, oldest first, at most `limit`; seqs not retained are skipped. */
  read(jobId: string, fromSeq: number, limit: number): Promise<ResultFrame[]>;
  /** The newest `limit` retained frames, oldest first. */
  readNewest(jobId: string, limit: number): Promise<ResultFrame[]>;
  /**
   * The oldest seq the history covers (every frame with rows from it to `last` is retained) and the
   * newest seq, whose frame is always retained (0 and 0 when none yet).
   */
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
  save(jobId: string, batchTime: number, partition: number, state: Uint8Array, fence?: Fence): Promise<void>;
  /**
   * Marks the checkpoint at batchTime complete (all `partitions` saved; 0 for a job that keeps no
   * state) and stores the job's counters as of that batch in the same atomic write; keeps the last two
   * complete ones. Without `counters` the checkpoint carries none, as checkpoints written before they
   * existed.
   */
  complete(jobId: string, batchTime: number, partitions: number, counters?: JobCounters, fence?: Fence): Promise<void>;
  /** Newest complete checkpoint first. */
  listComplete(jobId: string): Promise<number[]>;
  load(jobId: string, batchTime: number, partition: number): Promise<Uint8Array | undefined>;
  /** The counters completed with the checkpoint at batchTime; undefined when it is not complete or carries none. */
  counters(jobId: string, batchTime: number): Promise<JobCounters | undefined>;
  drop(jobId: string): Promise<void>;
}

/**
 * Proof that a write comes from the holder of the job's lease: the epoch it was granted. The job-scoped
 * writes (recording or trimming descriptors, appending a result, saving or completing a checkpoint)
 * take one; a write whose epoch is not the job's current one is refused with FencedError and changes
 * nothing, checked in the same atomic step as the write. Without a fence the write is not checked.
 */
export interface Fence {
  readonly epoch: number;
}

/** A job's lease as its holder keeps it. */
export interface Lease {
  readonly jobId: string;
  readonly node: string;
  /** Grows by one with every grant of the job's lease, whoever gets it; never reused. */
  readonly epoch: number;
}

/**
 * Who runs each job (cluster mode): a job is run by the holder of its lease, which lapses unless
 * renewed within its time to live. Every grant takes a new, larger epoch, so a former holder that
 * wakes up after losing the lease can write nothing (its fence is stale).
 */
export interface Leases {
  /**
   * Grants the job's lease to `node` when nobody holds it, or when `node` itself does (an earlier life
   * of this node, restarted); undefined when another node holds it.
   */
  acquire(jobId: string, node: string, ttlMs: number): Promise<Lease | undefined>;
  /** Takes the lease whoever holds it (to delete the job): the holder's writes are refused from now on. */
  seize(jobId: string, node: string, ttlMs: number): Promise<Lease>;
  /**
   * Extends the lease; false when it is no longer this one (it was granted again, or released). A
   * lease that lapsed without being granted again is still this one, and is renewed.
   */
  renew(lease: Lease, ttlMs: number): Promise<boolean>;
  /** Gives the lease up, if it is still this one; its epoch is then stale (its writes are refused). */
  release(lease: Lease): Promise<void>;
  /** The node holding the job's lease now and its epoch; undefined when nobody does. */
  holder(jobId: string): Promise<{ readonly node: string; readonly epoch: number } | undefined>;
}

/** A live Tributary node as it announces itself. */
export interface NodeInfo {
  readonly id: string;
  /** Where its HTTP API listens, e.g. http://10.0.0.5:8080. */
  readonly address: string;
  readonly startedAt: number;
  /** Jobs it runs now, and its share of the recent batch processing time (ms per second). */
  readonly jobs: number;
  readonly busyMsPerSec: number;
}

/** The nodes that share the store, each announced with a time to live it renews. */
export interface Membership {
  /** Announces (or renews) the node; it counts as live for ttlMs from now. */
  announce(node: NodeInfo, ttlMs: number): Promise<void>;
  /** Removes the node at once (a clean shutdown). */
  leave(nodeId: string): Promise<void>;
  /** Live nodes, by id. */
  live(): Promise<NodeInfo[]>;
}

export interface Store {
  readonly kind: "embedded" | "redis";
  readonly streams: StreamLog;
  readonly batches: BatchLog;
  readonly results: ResultLog;
  readonly catalog: Catalog;
  readonly checkpoints: CheckpointStore;
  readonly leases: Leases;
  readonly members: Membership;
  /** Resolves when the store can take writes; rejects (StoreUnavailableError) when it cannot. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Raised for a job-scoped write whose fence is stale: another node holds the job's lease now. */
export class FencedError extends Error {
  constructor(
    readonly jobId: string,
    readonly epoch: number,
    readonly currentEpoch: number,
  ) {
    super(`job ${jobId} is leased to another node now (epoch ${currentEpoch}, this writer holds ${epoch}); the write was refused`);
    this.name = "FencedError";
  }
}

/** Raised by a store that cannot read or write durably right now; the API answers 503 + Retry-After. */
export class StoreUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoreUnavailableError";
  }
}
