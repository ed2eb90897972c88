/**
 * Trimming each stream's log: a block goes once it is outside the stream's retention (stream-
 * retention.ts) and every job that reads the stream may no longer need it. A job needs each input
 * partition from its last complete checkpoint's cut on (or from where it started, before its first
 * checkpoint); while a reader's need is not yet known, nothing is trimmed. Runs after every checkpoint
 * of a reader and, for every stream, every RETENTION_CHECK_MS.
 */
import type { Catalog, Store, StreamDefinition } from "../store/types.js";
import type { Clock } from "./clock.js";
import { jobInputs } from "./query/job-inputs.js";
import { retentionOf, type Retention, type RetentionSpec } from "./stream-retention.js";

/** Per input stream, the first offset of each of its partitions a job may still need. */
export type InputNeeds = Map<string, number[]>;

/** Names of the catalogued jobs that read `stream`. */
export async function readersOf(catalog: Catalog, stream: string): Promise<string[]> {
  return (await catalog.listJobs()).filter((j) => jobInputs(j.definition).names.includes(stream)).map((j) => j.id);
}

export class InputRetention {
  private readonly neededFrom = new Map<string, InputNeeds>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    /** The retention of a stream that declared none. */
    readonly defaults: RetentionSpec,
  ) {}

  /** Where `jobId` may still need to read from (it started, or was recovered, there). */
  set(jobId: string, needs: InputNeeds): void {
    this.neededFrom.set(jobId, needs);
  }

  /** The job is gone: it holds nothing back any more. */
  forget(jobId: string): void {
    this.neededFrom.delete(jobId);
  }

  /** The retention `stream` is kept by: its own, or the defaults. */
  retentionSpec(stream: StreamDefinition): RetentionSpec {
    return stream.retention ?? this.defaults;
  }

  /**
   * After a checkpoint of `jobId`: records what it still needs, then trims each of its inputs as far
   * as retention and every reader allow. Best effort: when the store cannot do it now, the next does.
   */
  async checkpointed(jobId: string, needs: InputNeeds): Promise<void> {
    this.neededFrom.set(jobId, needs);
    for (const input of needs.keys()) await this.enforce(input);
  }

  /** Trims every stream as far as its retention and its readers allow. */
  async enforceAll(): Promise<void> {
    const streams = await this.store.catalog.listStreams().catch(() => []);
    for (const stream of streams) await this.enforce(stream.name);
  }

  /** Trims `input` as far as its retention and its readers allow; an unreachable store is left for later. */
  async enforce(input: string): Promise<void> {
    await this.trim(input).catch((error: Error) => {
      if (error.name !== "StoreUnavailableError") throw error;
    });
  }

  private async trim(input: string): Promise<void> {
    const readers = await readersOf(this.store.catalog, input);
    const needs = await Promise.all(readers.map(async (id) => this.neededFrom.get(id)?.get(input) ?? (await this.recordedNeed(id, input))));
    if (needs.some((n) => n === undefined)) return; // a reader not yet known: keep everything
    const stream = await this.store.catalog.getStream(input);
    if (!stream) return;
    const retention = retentionOf(this.retentionSpec(stream));
    if (retention.timeMs === null && retention.bytes === null) return;
    for (let p = 0; p < stream.partitions; p++) {
      const outside = await this.retainedFrom(input, p, retention, stream.partitions);
      const keepFrom = Math.min(outside, ...needs.map((n) => n![p] ?? 0));
      if (keepFrom > 0) await this.store.streams.trim(input, p, keepFrom);
    }
  }

  /** The first offset of the partition inside the retention: every block before it is outside. */
  private async retainedFrom(stream: string, partition: number, retention: Retention, partitions: number): Promise<number> {
    const { streams } = this.store;
    let from = 0;
    if (retention.timeMs !== null) from = Math.max(from, await streams.offsetAt(stream, partition, this.clock.now() - retention.timeMs));
    if (retention.bytes !== null) from = Math.max(from, await streams.offsetKeepingBytes(stream, partition, Math.floor(retention.bytes / partitions)));
    return from;
  }

  /**
   * What a job this process does not run (another node's, in cluster mode) may still need of `input`,
   * from its recorded batches: its oldest retained descriptor begins at or before everything its
   * recovery could read (descriptors are trimmed only below its oldest kept checkpoint). Undefined
   * while it has recorded none.
   */
  private async recordedNeed(jobId: string, input: string): Promise<number[] | undefined> {
    const [oldest] = await this.store.batches.list(jobId, Number.NEGATIVE_INFINITY, 1);
    if (oldest === undefined) return undefined;
    const need: number[] = [];
    for (const range of oldest.ranges) if (range.stream === input) need[range.partition] = range.from;
    return need;
  }
}
