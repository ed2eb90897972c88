/**
 * When a job is on schedule, judged from the result frames a subscriber saw (their batch time and when
 * they arrived), and the search for the highest offered rate at which every job stays on schedule.
 * Pure functions: the cluster sections feed them what they observed.
 */

/** A result frame as a subscriber saw it. */
export interface ArrivedFrame {
  readonly seq: number;
  readonly batchTime: number;
  /** Date.now() when it arrived. */
  readonly arrivedAt: number;
}

/**
 * The frames of one job seen by several subscribers, each seq once at its earliest arrival, in seq
 * order: what the fastest of them (the job's own node, wherever it runs) delivered.
 */
export function earliestArrivals(views: readonly (readonly ArrivedFrame[])[]): ArrivedFrame[] {
  const bySeq = new Map<number, ArrivedFrame>();
  for (const view of views) {
    for (const f of view) {
      const seen = bySeq.get(f.seq);
      if (seen === undefined || f.arrivedAt < seen.arrivedAt) bySeq.set(f.seq, f);
    }
  }
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/**
 * Back on schedule after a failure at `failedAt`: the first frame of a batch cut after the failure
 * that arrived within one batch interval of its batch time (the batch ran on its tick and its result
 * was stored before the next batch was due). Batches replayed late to catch up do not count.
 */
export function backOnSchedule(frames: readonly ArrivedFrame[], failedAt: number, intervalMs: number): ArrivedFrame | undefined {
  return frames.find((f) => f.batchTime > failedAt && f.arrivedAt - f.batchTime <= intervalMs);
}

/** The first seq that is not one more than the one before (a gap or a repeat), if any. */
export function seqBreak(frames: readonly ArrivedFrame[]): number | undefined {
  for (let i = 1; i < frames.length; i++) if (frames[i]!.seq !== frames[i - 1]!.seq + 1) return frames[i]!.seq;
  return undefined;
}

export interface ScheduleVerdict {
  readonly onSchedule: boolean;
  /** Frames whose batch time is in the judged second half. */
  readonly frames: number;
  /** Batches due in the judged second half. */
  readonly expected: number;
  /** Longest arrival lag (arrival - batch time) in the judged second half, ms; null without frames. */
  readonly maxLagMs: number | null;
  readonly why?: string;
}

/**
 * Whether one job kept its schedule over the second half of (from, to]: a frame arrived for every
 * batch due in it (one may be missing at either edge), each within one batch interval of its batch
 * time. The first half is left to settle after the load changed.
 */
export function keptSchedule(frames: readonly ArrivedFrame[], from: number, to: number, intervalMs: number): ScheduleVerdict {
  const middle = (from + to) / 2;
  const judged = frames.filter((f) => f.batchTime > middle && f.batchTime <= to);
  const expected = Math.floor((to - middle) / intervalMs);
  const maxLagMs = judged.length === 0 ? null : Math.max(...judged.map((f) => f.arrivedAt - f.batchTime));
  const base = { frames: judged.length, expected, maxLagMs };
  if (judged.length < expected - 1) return { ...base, onSchedule: false, why: `${judged.length} frames for ${expected} batches due` };
  if (maxLagMs !== null && maxLagMs > intervalMs) return { ...base, onSchedule: false, why: `a frame arrived ${Math.round(maxLagMs)} ms after its batch time` };
  return { ...base, onSchedule: true };
}

export interface RateSearch {
  readonly startRate: number;
  /** Growth (and shrink) factor until the first step that fails (or holds). */
  readonly factor: number;
  /** Halvings of the gap between the best good and the lowest bad rate. */
  readonly bisections: number;
  readonly maxSteps: number;
  /** No step below this rate is tried. */
  readonly minRate: number;
}

/**
 * The highest offered rate for which `sustained(rate)` holds: grow by `factor` until a step fails
 * (shrink until one holds), then bisect between the best good and the lowest bad rate.
 */
export async function highestSustainedRate(search: RateSearch, sustained: (rate: number) => Promise<boolean>): Promise<number | null> {
  let good: number | undefined;
  let bad: number | undefined;
  let rate = search.startRate;
  let bisections = 0;
  for (let i = 0; i < search.maxSteps && rate >= search.minRate; i++) {
    if (await sustained(Math.round(rate))) good = Math.max(good ?? 0, Math.round(rate));
    else bad = Math.min(bad ?? Infinity, Math.round(rate));
    if (bad === undefined) rate *= search.factor;
    else if (good === undefined) rate /= search.factor;
    else if (bisections++ < search.bisections) rate = (good + bad) / 2;
    else break;
  }
  return good ?? null;
}
