/**
 * A store that keeps everything in this process's memory and loses it on exit: for engine unit tests
 * and throwaway runs. It follows the same contract as the durable stores (the conformance suite in
 * test/integration/store runs against it), built from the same indexes the embedded store reads from.
 */
import { assertCounters, assertRequestId, assertTrimPoint, DEFAULT_IDEMPOTENCY_RETENTION_MS } from "../contract.js";
import { StoreUnavailableError, type Store } from "../types.js";
import { BatchIndex } from "./batch-index.js";
import { BlockIndex } from "./block-index.js";
import { CatalogIndex } from "./catalog-index.js";
import { CheckpointIndex } from "./checkpoint-index.js";
import { LocalLeases } from "./local-leases.js";
import { RequestIndex } from "./request-index.js";
import { ResultIndex } from "./result-index.js";

/** Options of {@link openMemoryStore}. */
export interface MemoryStoreOptions {
  /** Result frames kept per job (default 10 000). */
  readonly resultHistory?: number;
  /** Rows kept per job over its result frames (default 1 000 000; the newest frame is always kept). */
  readonly resultHistoryRows?: number;
  /** Result frames kept per job no longer than this many ms of batch time before its newest frame (default: no age bound). */
  readonly resultHistoryAgeMs?: number;
  /** Frames without rows are kept while among this many newest seqs (default 1 000); they take no room in the history. */
  readonly resultRecentSeqs?: number;
  /** How long a block's requestId dedupes a repeated append, in ms (default 24 h). */
  readonly idempotencyRetentionMs?: number;
}

/** Opens an empty in-memory store (kind "embedded": it stands in for the embedded store in tests). */
export function openMemoryStore(options: MemoryStoreOptions = {}): Store {
  const blocks = new BlockIndex();
  const requests = new RequestIndex(options.idempotencyRetentionMs ?? DEFAULT_IDEMPOTENCY_RETENTION_MS);
  const batches = new BatchIndex();
  const results = new ResultIndex(options);
  const catalog = new CatalogIndex();
  const checkpoints = new CheckpointIndex<Uint8Array>();
  const leases = new LocalLeases();
  let closed = false;

  // Writes after close fail as they would on a durable store, so tests catch use-after-close bugs.
  const assertOpen = (): void => {
    if (closed) throw new StoreUnavailableError("the memory store is closed");
  };

  return {
    kind: "embedded",
    streams: {
      async append(stream, partition, block) {
        assertOpen();
        const appendedAt = Date.now();
        const { requestId } = block;
        if (requestId !== undefined) {
          assertRequestId(requestId);
          const original = requests.find(stream, partition, requestId, appendedAt);
          if (original !== undefined) return { offset: original, duplicate: true };
        }
        const offset = blocks.endOffset(stream, partition);
        // Copied so that the caller may reuse or transfer its buffer afterwards.
        const payload = new Uint8Array(block.payload);
        blocks.push(stream, partition, { offset, count: block.count, appendedAt, payload });
        if (requestId !== undefined) requests.remember(stream, partition, requestId, offset, appendedAt);
        return { offset, duplicate: false };
      },
      async endOffset(stream, partition) {
        return blocks.endOffset(stream, partition);
      },
      async startOffset(stream, partition) {
        return blocks.startOffset(stream, partition);
      },
      async read(range) {
        return blocks.read(range);
      },
      async extent(stream, partition, from) {
        return blocks.extent(stream, partition, from);
      },
      async offsetAt(stream, partition, time) {
        return blocks.offsetAt(stream, partition, time);
      },
      async offsetKeepingBytes(stream, partition, bytes) {
        return blocks.offsetKeepingBytes(stream, partition, bytes);
      },
      async trim(stream, partition, beforeOffset) {
        assertOpen();
        assertTrimPoint(beforeOffset);
        blocks.trim(stream, partition, beforeOffset);
      },
      async drop(stream) {
        assertOpen();
        blocks.drop(stream);
        requests.drop(stream);
      },
    },
    batches: {
      async record(descriptor, fence) {
        assertOpen();
        leases.check(descriptor.jobId, fence);
        batches.record(descriptor);
      },
      async trim(jobId, beforeBatchTime, fence) {
        assertOpen();
        leases.check(jobId, fence);
        batches.trim(jobId, beforeBatchTime);
      },
      async list(jobId, afterBatchTime, limit) {
        return batches.list(jobId, afterBatchTime, limit);
      },
      async last(jobId) {
        return batches.last(jobId);
      },
      async drop(jobId) {
        assertOpen();
        batches.drop(jobId);
      },
    },
    results: {
      async append(jobId, frame, fence) {
        assertOpen();
        leases.check(jobId, fence);
        results.append(jobId, frame);
      },
      async read(jobId, fromSeq, limit) {
        return results.read(jobId, fromSeq, limit);
      },
      async readNewest(jobId, limit) {
        return results.readNewest(jobId, limit);
      },
      async bounds(jobId) {
        return results.seqBounds(jobId);
      },
      async drop(jobId) {
        assertOpen();
        results.drop(jobId);
      },
    },
    catalog: {
      async createStream(stream) {
        assertOpen();
        if (catalog.streams.has(stream.name)) return false;
        catalog.streams.set(stream.name, stream);
        return true;
      },
      async putStream(stream) {
        assertOpen();
        catalog.streams.set(stream.name, stream);
      },
      async getStream(name) {
        return catalog.streams.get(name);
      },
      async listStreams() {
        return catalog.listStreams();
      },
      async deleteStream(name) {
        assertOpen();
        catalog.streams.delete(name);
      },
      async createJob(job) {
        assertOpen();
        if (catalog.jobs.has(job.id)) return false;
        catalog.jobs.set(job.id, job);
        return true;
      },
      async putJob(job) {
        assertOpen();
        catalog.jobs.set(job.id, job);
      },
      async getJob(id) {
        return catalog.jobs.get(id);
      },
      async listJobs() {
        return catalog.listJobs();
      },
      async deleteJob(id) {
        assertOpen();
        catalog.jobs.delete(id);
      },
    },
    checkpoints: {
      async save(jobId, batchTime, partition, state, fence) {
        assertOpen();
        leases.check(jobId, fence);
        checkpoints.save(jobId, batchTime, partition, new Uint8Array(state));
      },
      async complete(jobId, batchTime, partitions, counters, fence) {
        assertOpen();
        leases.check(jobId, fence);
        if (counters !== undefined) assertCounters(counters);
        checkpoints.assertCompletable(jobId, batchTime, partitions);
        checkpoints.markComplete(jobId, batchTime, counters);
        checkpoints.prune(jobId);
      },
      async listComplete(jobId) {
        return checkpoints.listComplete(jobId);
      },
      async load(jobId, batchTime, partition) {
        const state = checkpoints.get(jobId, batchTime, partition);
        return state === undefined ? undefined : new Uint8Array(state);
      },
      async counters(jobId, batchTime) {
        return checkpoints.counters(jobId, batchTime);
      },
      async drop(jobId) {
        assertOpen();
        checkpoints.drop(jobId);
      },
    },
    leases,
    members: leases,
    async ping() {
      assertOpen();
    },
    async close() {
      closed = true;
    },
  };
}
