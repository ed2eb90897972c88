/**
 * Where a new job starts reading, per input partition, and the history that promises: "latest" reads
 * only what arrives from now on; "earliest" everything its inputs retain; {time} the first block
 * ingested at or after that time. The registration answer shows the ranges with their events and
 * bytes, and warns when a time asked for is older than what a stream retains (its retention trimmed
 * it): the job then reads from the oldest block retained, never silently from nothing.
 */
import type { StreamLog } from "../store/types.js";
import type { StartFrom } from "./query/job-definition.js";
import type { InputSlot } from "./scheduler/input-slots.js";

/** The history one input partition holds for the job: blocks [from, to) as of registration. */
export interface HistoryRange {
  readonly stream: string;
  readonly partition: number;
  readonly from: number;
  readonly to: number;
  readonly events: number;
  readonly bytes: number;
  /** When the first block of the range was ingested (ms since epoch); null for an empty range. */
  readonly oldestIngestedAt: number | null;
}

export interface JobReads {
  readonly startFrom: StartFrom;
  /** One per input slot, in slot order. */
  readonly ranges: readonly HistoryRange[];
  readonly events: number;
  readonly bytes: number;
  /** Whether the job starts in the past (it then catches up first). */
  readonly history: boolean;
  readonly warnings: string[];
}

/** The reads as the registration answer shows them. */
export interface ReadsView {
  readonly startFrom: StartFrom;
  /** Events and bytes of history the job will read before it reads live events. */
  readonly events: number;
  readonly bytes: number;
  readonly partitions: readonly (Omit<HistoryRange, "oldestIngestedAt"> & { readonly oldestIngestedAt: string | null })[];
}

export async function planReads(log: StreamLog, slots: readonly InputSlot[], startFrom: StartFrom, now: number): Promise<JobReads> {
  const time = typeof startFrom === "object" ? Date.parse(startFrom.time) : undefined;
  const trimmedAfter = new Map<string, { partitions: number[]; oldest: number | null }>();
  const ranges = await Promise.all(
    slots.map(async (slot): Promise<HistoryRange> => {
      const { stream, partition } = slot;
      if (startFrom === "latest") {
        const end = await log.endOffset(stream, partition);
        return { stream, partition, from: end, to: end, events: 0, bytes: 0, oldestIngestedAt: null };
      }
      const whole = await log.extent(stream, partition);
      let from = whole.start;
      if (time !== undefined) {
        from = await log.offsetAt(stream, partition, time);
        // Blocks before the start were trimmed; when the first kept one is already at or after the time
        // asked for, some trimmed ones may have been too (with none kept: unless the time is yet to come).
        const keptNone = whole.end === whole.start;
        if (whole.start > 0 && from === whole.start && (!keptNone || time <= now)) {
          const trimmed = trimmedAfter.get(stream) ?? { partitions: [], oldest: null };
          trimmed.partitions.push(partition);
          if (whole.oldestAppendedAt !== null) trimmed.oldest = trimmed.oldest === null ? whole.oldestAppendedAt : Math.min(trimmed.oldest, whole.oldestAppendedAt);
          trimmedAfter.set(stream, trimmed);
        }
      }
      const range = from === whole.start ? whole : await log.extent(stream, partition, from);
      return { stream, partition, from, to: range.end, events: range.events, bytes: range.bytes, oldestIngestedAt: range.oldestAppendedAt };
    }),
  );
  const warnings = [...trimmedAfter].map(([stream, { partitions, oldest }]) => {
    const since = oldest === null ? "nothing (every block was trimmed)" : `events ingested from ${new Date(oldest).toISOString()} on`;
    return `startFrom.time ${(startFrom as { time: string }).time} is older than what stream "${stream}" retains (partition ${partitions.join(", ")}): it retains ${since}, so the job reads from its oldest retained block; older events were trimmed by the stream's retention (declare the stream with a longer "retention" to keep more)`;
  });
  return {
    startFrom,
    ranges,
    events: ranges.reduce((n, r) => n + r.events, 0),
    bytes: ranges.reduce((n, r) => n + r.bytes, 0),
    history: ranges.some((r) => r.to > r.from),
    warnings,
  };
}

export function readsView(reads: JobReads): ReadsView {
  return {
    startFrom: reads.startFrom,
    events: reads.events,
    bytes: reads.bytes,
    partitions: reads.ranges.map((r) => ({ ...r, oldestIngestedAt: r.oldestIngestedAt === null ? null : new Date(r.oldestIngestedAt).toISOString() })),
  };
}
