/**
 * Which ingest request ids each stream partition has stored, and at which offset: the dedupe side of
 * `StreamLog.append`. The memory store keeps only this; the embedded store rebuilds it at open from its
 * block frames (and from the request ids of blocks it has trimmed away).
 *
 * Entries are kept in append order, so expiry only ever looks at the front of a partition's map.
 */
import { assertRetention, DEFAULT_IDEMPOTENCY_RETENTION_MS } from "../contract.js";

/**
 * Request ids remembered per partition, at most. A JavaScript Map cannot hold more than 2^24 entries,
 * and a day of ids at a few hundred requests per second would reach that, so beyond this bound the
 * oldest ids are forgotten early (their retries would be appended again).
 */
export const MAX_REQUESTS_PER_PARTITION = 1_000_000;

/** Where a remembered request's block went, and when, which decides when the entry expires. */
export interface RequestEntry {
  readonly offset: number;
  readonly appendedAt: number;
}

export class RequestIndex {
  private readonly streams = new Map<string, Map<number, Map<string, RequestEntry>>>();

  /**
   * @param retentionMs how long after its append a request id still finds its block
   * @param maxPerPartition request ids kept per partition; the oldest are forgotten beyond it
   */
  constructor(
    readonly retentionMs: number = DEFAULT_IDEMPOTENCY_RETENTION_MS,
    private readonly maxPerPartition: number = MAX_REQUESTS_PER_PARTITION,
  ) {
    assertRetention(retentionMs);
  }

  /** The offset of the block stored for `requestId`, unless there is none or it expired by `now`. */
  find(stream: string, partition: number, requestId: string, now: number): number | undefined {
    const requests = this.streams.get(stream)?.get(partition);
    if (requests === undefined) return undefined;
    this.expire(requests, now);
    return requests.get(requestId)?.offset;
  }

  /** Records that `requestId`'s block is at `offset`; call in append order. */
  remember(stream: string, partition: number, requestId: string, offset: number, appendedAt: number): void {
    const requests = this.partitionOf(stream, partition);
    // Re-inserted at the back, so the map stays in append order for expiry.
    requests.delete(requestId);
    requests.set(requestId, { offset, appendedAt });
    this.expire(requests, appendedAt);
    if (requests.size > this.maxPerPartition) {
      const oldest = requests.keys().next();
      if (oldest.done !== true) requests.delete(oldest.value);
    }
  }

  /** True while `entry` has not expired at `now`. */
  isLive(entry: RequestEntry, now: number): boolean {
    return entry.appendedAt + this.retentionMs > now;
  }

  /** Every unexpired request of the partition, oldest first. */
  entries(stream: string, partition: number, now: number): [string, RequestEntry][] {
    const requests = this.streams.get(stream)?.get(partition);
    if (requests === undefined) return [];
    this.expire(requests, now);
    return [...requests];
  }

  drop(stream: string): void {
    this.streams.delete(stream);
  }

  private partitionOf(stream: string, partition: number): Map<string, RequestEntry> {
    let partitions = this.streams.get(stream);
    if (partitions === undefined) {
      partitions = new Map();
      this.streams.set(stream, partitions);
    }
    let requests = partitions.get(partition);
    if (requests === undefined) {
      requests = new Map();
      partitions.set(partition, requests);
    }
    return requests;
  }

  private expire(requests: Map<string, RequestEntry>, now: number): void {
    for (const [requestId, entry] of requests) {
      if (this.isLive(entry, now)) break;
      requests.delete(requestId);
    }
  }
}
