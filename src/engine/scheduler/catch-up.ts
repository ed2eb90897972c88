/**
 * Catching up: a job that starts in the past ("earliest", or a time) first works through the history
 * its inputs retain. Each batch time then cuts, per input partition, up to CATCH_UP_BATCH_BYTES of
 * what waits (so a catch-up batch covers many intervals' worth of events, yet stays bounded in
 * memory); once a cut reaches the end of every partition, the job is live and cuts as usual.
 *
 *   cursor                      cut end            log end
 *     |<---- at most the cap ---->|<---- still behind ---->|
 */
import type { StreamLog } from "../../store/types.js";
import type { InputSlot } from "./input-slots.js";

/** Bytes per input partition in one catch-up batch unless configured otherwise: 64 MiB. */
export const DEFAULT_CATCH_UP_BATCH_BYTES = 64 * 1024 * 1024;

/** What a catching-up job has still to read after its latest cut. */
export interface CatchUpLag {
  readonly events: number;
  readonly bytes: number;
  /** When the oldest block it has yet to cut was ingested (ms since epoch); null when none waits. */
  readonly oldestIngestedAt: number | null;
}

/** A catch-up cut: where each slot's range ends, and what is left behind it. */
export interface CatchUpCut {
  readonly ends: number[];
  readonly behind: CatchUpLag;
}

/**
 * Cuts each slot from its cursor up to `capBytes` of its retained blocks (at least one block when any
 * waits), and measures what remains beyond the cut.
 */
export async function catchUpCut(log: StreamLog, slots: readonly InputSlot[], cursor: readonly number[], capBytes: number): Promise<CatchUpCut> {
  const cuts = await Promise.all(
    slots.map(async (slot, i) => {
      const from = cursor[i]!;
      const waiting = await log.extent(slot.stream, slot.partition, from);
      if (waiting.bytes <= capBytes) return { end: waiting.end, behind: { events: 0, bytes: 0, oldestIngestedAt: null } };
      // `keeps` is the first offset from which at most (waiting - cap) bytes follow: [from, keeps) holds
      // at least the cap, [from, keeps - 1) less. One block over the cap is still cut whole.
      const keeps = await log.offsetKeepingBytes(slot.stream, slot.partition, waiting.bytes - capBytes);
      const end = Math.min(waiting.end, Math.max(from + 1, keeps - 1));
      const left = await log.extent(slot.stream, slot.partition, end);
      return { end, behind: { events: left.events, bytes: left.bytes, oldestIngestedAt: left.oldestAppendedAt } };
    }),
  );
  let oldest: number | null = null;
  for (const c of cuts) if (c.behind.oldestIngestedAt !== null) oldest = oldest === null ? c.behind.oldestIngestedAt : Math.min(oldest, c.behind.oldestIngestedAt);
  return {
    ends: cuts.map((c) => c.end),
    behind: { events: cuts.reduce((n, c) => n + c.behind.events, 0), bytes: cuts.reduce((n, c) => n + c.behind.bytes, 0), oldestIngestedAt: oldest },
  };
}
