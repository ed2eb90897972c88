/**
 * eventWindow: aggregates per key over windows of *event time* (tumbling, sliding or session), closed
 * by a watermark rather than by batch time.
 *
 *   watermark  W = (largest event time seen so far, over every batch up to and including this one)
 *                  - lateness
 *              Every reduce partition sees the same batch maximum (each map partition's share carries
 *              its maximum, and every reduce partition gets a share from every map partition), so all
 *              partitions agree on W without talking to each other. W moves at the END of a batch:
 *              events are judged late against W0, the watermark the previous batch left.
 *
 *   idle       with `idleTimeout`: once no event has come for that long (in batch time, so a replay
 *              decides the same), event time is taken to keep pace with processing time: W advances
 *              by the batch time since the last event, so an idle input's last windows close (as
 *              Flink's withIdleness lets an idle source's windows close).
 *
 *   late       fixed windows: an event whose every window has ended (last window end <= W0); an event
 *              some of whose windows are still open goes into those only (a closed window never
 *              changes). sessions: an event with time < W0. Late events are dropped and counted.
 *
 *   closing    fixed window [start, end) closes when W >= end; a session [first, last] closes when
 *              W >= last + gap (its row has windowEnd = last + gap). A closed window's state is
 *              dropped, so state stays bounded by the open windows.
 *
 * Fixed windows are aligned to the epoch: starts are multiples of the slide. Events with time in
 * [k*slide, (k+1)*slide) belong to exactly the same windows, so the map side pre-aggregates per
 * (key, slot) and the reduce side adds each slot to its `length / slide` windows. Sessions cannot
 * pre-merge on the map side (lateness is judged per event), so the map side aggregates per
 * (key, event time) and the reduce side merges sessions whose [first, last + gap) spans overlap.
 *
 * Shuffle format: one Entry per key whose `vals[0]` is a list of parts [start, end, Entry]: a slot
 * [k*slide, (k+1)*slide) or a single event time [t, t].
 */
import { parseEventTime } from "../event-check.js";
import type { Aggregations } from "../query/job-definition.js";
import type { Duration } from "../time.js";
import { AggregateSet, copyEntry, type Entry, type Groups } from "./aggregate-set.js";
import type { Key } from "./key-by.js";
import { globalKey, groupingOf, type KeyOf } from "./key-of.js";
import type { KeyedStage } from "./keyed-stage.js";
import { perRow, type Row } from "./operator.js";
import { compileRowExpression } from "./row-expression.js";
import { forField } from "./step-field-error.js";

export type EventWindowShape = { readonly kind: "fixed"; readonly length: Duration; readonly slide: Duration } | { readonly kind: "session"; readonly gap: Duration };

export interface EventWindowSpec {
  /** CEL giving the event time of a row: ms since the epoch, or ISO-8601 text. */
  readonly time: string;
  readonly shape: EventWindowShape;
  readonly lateness: Duration;
  /** `final`: each window's row once, when it closes; `update`: the windows changed by each batch. */
  readonly emit: "final" | "update";
  readonly aggs: Aggregations;
  /** Whether rows are grouped by their `key` (after keyBy), or all in one group. */
  readonly keyed: boolean;
  /** Without events for this long, the watermark advances with batch time (see "idle" above). */
  readonly idleTimeout?: Duration;
}

/** One part of a key's share: [start, end, aggregate]. */
type Part = [number, number, Entry];

/** A window held in state: fixed [start, start + length), or a session [start, last event]. */
interface HeldWindow {
  start: number;
  end: number;
  entry: Entry;
}

interface Snapshot {
  maxEventTime: number;
  /** The batch time of the last batch with events, and the largest event time then (idleTimeout). */
  lastEventBatch?: number;
  maxAtLastEvent?: number;
  windows: [Key | undefined, [number, number, Entry][]][];
}

export function eventWindowStage(spec: EventWindowSpec): KeyedStage {
  const keyOf: KeyOf = groupingOf(spec.keyed);
  // Every part is aggregated on its own, so the set groups all the rows it is given as one.
  const set = new AggregateSet(spec.aggs, globalKey);
  const timeOf = forField("time", () => compileRowExpression(spec.time));
  const { shape } = spec;
  const lateness = spec.lateness.ms;
  const partStart = shape.kind === "fixed" ? (t: number) => Math.floor(t / shape.slide.ms) * shape.slide.ms : (t: number) => t;
  const partEnd = shape.kind === "fixed" ? (start: number) => start + shape.slide.ms : (start: number) => start;
  /** When a held window closes: the watermark must reach this. */
  const closesAt = shape.kind === "fixed" ? (w: HeldWindow) => w.end : (w: HeldWindow) => w.end + shape.gap.ms;

  return {
    order: byWindowThenKey,
    partial(rows, ctx) {
      const byKey = new Map<Key | undefined, Map<number, Row[]>>();
      let max = -Infinity;
      perRow(rows, ctx, (row) => {
        const raw = timeOf(row);
        const t = parseEventTime(raw);
        if (t === undefined) throw new TypeError(`event time must be ms since the epoch or ISO-8601 text, got ${JSON.stringify(raw)}`);
        const key = keyOf(row);
        let parts = byKey.get(key);
        if (!parts) byKey.set(key, (parts = new Map()));
        const start = partStart(t);
        const held = parts.get(start);
        if (held) held.push(row);
        else parts.set(start, [row]);
        if (t > max) max = t;
      });
      if (max > -Infinity) ctx.maxEventTime = Math.max(ctx.maxEventTime ?? -Infinity, max);
      const groups: Groups = new Map();
      for (const [key, parts] of byKey) {
        const list: Part[] = [];
        let count = 0;
        for (const [start, partRows] of parts) {
          const entry = set.group(partRows, ctx).get(undefined);
          if (!entry) continue; // every row of the part failed an aggregation
          entry.key = key;
          count += entry.rows;
          list.push([start, partEnd(start), entry]);
        }
        if (list.length > 0) groups.set(key, { key, rows: count, acc: [], vals: [list] });
      }
      return groups;
    },

    reducer() {
      let maxEventTime = -Infinity;
      let lastEventBatch: number | undefined;
      let maxAtLastEvent = -Infinity;
      let windows = new Map<Key | undefined, HeldWindow[]>();
      const watermark = () => maxEventTime - lateness;

      /** Adds a fixed-window slot to each of its windows still open; false when all have closed. */
      const addSlot = (held: HeldWindow[], changed: Set<HeldWindow>, slotStart: number, entry: Entry, w0: number): boolean => {
        if (shape.kind !== "fixed") return false;
        const { length, slide } = shape;
        if (slotStart + length.ms <= w0) return false;
        for (let start = slotStart - length.ms + slide.ms; start <= slotStart; start += slide.ms) {
          if (start + length.ms <= w0) continue;
          let window = held.find((h) => h.start === start);
          if (!window) held.push((window = { start, end: start + length.ms, entry: set.newEntry(entry.key) }));
          set.mergeEntry(window.entry, entry);
          changed.add(window);
        }
        return true;
      };

      /** Adds one event time's aggregate to a key's sessions, merging every session it bridges. */
      const addToSessions = (held: HeldWindow[], changed: Set<HeldWindow>, t: number, entry: Entry, w0: number): boolean => {
        if (shape.kind !== "session") return false;
        if (t < w0) return false;
        const gap = shape.gap.ms;
        const joined: HeldWindow = { start: t, end: t, entry: set.newEntry(entry.key) };
        // Held sessions in start order, so the merged aggregate takes them oldest first.
        for (let i = 0; i < held.length; ) {
          const h = held[i]!;
          if (h.start < t + gap && t < h.end + gap) {
            joined.start = Math.min(joined.start, h.start);
            joined.end = Math.max(joined.end, h.end);
            set.mergeEntry(joined.entry, h.entry);
            changed.delete(h);
            held.splice(i, 1);
          } else i++;
        }
        set.mergeEntry(joined.entry, entry);
        const at = held.findIndex((h) => h.start > joined.start);
        held.splice(at === -1 ? held.length : at, 0, joined);
        changed.add(joined);
        return true;
      };

      const toRow = (w: HeldWindow): Row => {
        const row = set.toRow(w.entry);
        const { key, ...aggs } = row;
        return { ...("key" in row ? { key } : {}), windowStart: w.start, windowEnd: closesAt(w), ...aggs };
      };

      return {
        reduce(partials, ctx) {
          const w0 = watermark();
          const changed = new Set<HeldWindow>();
          let late = 0;
          for (const partial of partials) {
            for (const [key, shipped] of partial) {
              let held = windows.get(key);
              if (!held) windows.set(key, (held = []));
              for (const [start, , entry] of (shipped.vals?.[0] ?? []) as Part[]) {
                const added = shape.kind === "fixed" ? addSlot(held, changed, start, entry, w0) : addToSessions(held, changed, start, entry, w0);
                if (!added) late += entry.rows;
              }
              if (held.length === 0) windows.delete(key);
            }
          }
          if (ctx.batchMaxEventTime !== undefined) {
            maxEventTime = Math.max(maxEventTime, ctx.batchMaxEventTime);
            lastEventBatch = ctx.batchTime;
            maxAtLastEvent = maxEventTime;
          } else if (spec.idleTimeout && lastEventBatch !== undefined && ctx.batchTime - lastEventBatch >= spec.idleTimeout.ms) {
            maxEventTime = Math.max(maxEventTime, maxAtLastEvent + (ctx.batchTime - lastEventBatch));
          }
          const w1 = watermark();
          const out: HeldWindow[] = spec.emit === "update" ? [...changed] : [];
          for (const [key, held] of windows) {
            const open = held.filter((h) => closesAt(h) > w1);
            if (spec.emit === "final") for (const h of held) if (closesAt(h) <= w1) out.push(h);
            if (open.length === 0) windows.delete(key);
            else if (open.length < held.length) windows.set(key, open);
          }
          if (late > 0) ctx.lateEvents = (ctx.lateEvents ?? 0) + late;
          if (w1 > -Infinity) ctx.watermark = w1;
          if (out.length === 0) return null;
          return out.map(toRow).sort(byWindowThenKey);
        },
        state: {
          snapshot: (): Snapshot => ({
            maxEventTime,
            ...(lastEventBatch === undefined ? {} : { lastEventBatch, maxAtLastEvent }),
            windows: [...windows].map(([key, held]) => [key, held.map((h): [number, number, Entry] => [h.start, h.end, copyEntry(h.entry)])]),
          }),
          restore: (snapshot) => {
            const s = snapshot as Snapshot;
            maxEventTime = s.maxEventTime;
            lastEventBatch = s.lastEventBatch;
            maxAtLastEvent = s.maxAtLastEvent ?? -Infinity;
            windows = new Map(s.windows.map(([key, held]) => [key, held.map(([start, end, entry]) => ({ start, end, entry: copyEntry(entry) }))]));
          },
          /** The key's windows still open, as the rows they would emit now. */
          lookup: (key) => {
            const held = windows.get(key);
            return held && held.map(toRow);
          },
          size: () => {
            let n = 0;
            for (const held of windows.values()) n += held.length;
            return n;
          },
        },
      };
    },
  };
}

/** Rows in a stable order whatever the arrival order: by window, then by key. */
function byWindowThenKey(a: Row, b: Row): number {
  const d = (a.windowStart as number) - (b.windowStart as number) || (a.windowEnd as number) - (b.windowEnd as number);
  if (d !== 0) return d;
  const ka = JSON.stringify(a.key ?? null);
  const kb = JSON.stringify(b.key ?? null);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
