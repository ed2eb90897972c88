/**
 * A stream as GET /v1/streams/:name shows it: its definition, the retention it is kept by, and per
 * partition what its log retains now (first and last offset, events, bytes, the oldest retained
 * block's ingest time), so a user can tell what a job starting from "earliest" or a time will read.
 */
import type { StreamDefinition, StreamLog } from "../store/types.js";
import type { RetentionSpec } from "./stream-retention.js";

export interface RetainedPartition {
  readonly partition: number;
  /** Oldest and newest retained offset; null when the partition retains no block. */
  readonly firstOffset: number | null;
  readonly lastOffset: number | null;
  /** The offset the next block will get. */
  readonly endOffset: number;
  readonly events: number;
  readonly bytes: number;
  /** When the oldest retained block was ingested (ISO-8601); null when none is retained. */
  readonly oldestIngestedAt: string | null;
}

export interface StreamView extends StreamDefinition {
  /** The retention the stream is kept by: its own, or the server's defaults. */
  readonly retention: RetentionSpec;
  readonly retained: { readonly events: number; readonly bytes: number; readonly partitions: readonly RetainedPartition[] };
}

export async function streamView(stream: StreamDefinition, log: StreamLog, retention: RetentionSpec): Promise<StreamView> {
  const partitions = await Promise.all(
    Array.from({ length: stream.partitions }, async (_, partition): Promise<RetainedPartition> => {
      const extent = await log.extent(stream.name, partition);
      const any = extent.end > extent.start;
      return {
        partition,
        firstOffset: any ? extent.start : null,
        lastOffset: any ? extent.end - 1 : null,
        endOffset: extent.end,
        events: extent.events,
        bytes: extent.bytes,
        oldestIngestedAt: extent.oldestAppendedAt === null ? null : new Date(extent.oldestAppendedAt).toISOString(),
      };
    }),
  );
  const events = partitions.reduce((n, p) => n + p.events, 0);
  const bytes = partitions.reduce((n, p) => n + p.bytes, 0);
  return { ...stream, retention, retained: { events, bytes, partitions } };
}
