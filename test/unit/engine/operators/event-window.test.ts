/**
 * eventWindow: tables for tumbling, sliding and session windows in both emit modes, late events, a
 * property that the final windows do not depend on how events were split into batches and partitions,
 * and snapshot/restore mid-stream.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeBlock } from "../../../../src/engine/block-codec.js";
import { compileJob } from "../../../../src/engine/query/compile-job.js";
import { MapStage } from "../../../../src/engine/stages/map-stage.js";
import { PartitionReducer } from "../../../../src/engine/stages/partition-reducer.js";
import { decodeRows } from "../../../../src/engine/stages/shuffle-codec.js";
import { asMultiset, runJob, type Row } from "./run-job.js";

interface Step {
  rows: Row[] | null;
  late: number;
}

/** Runs a job's map and reduce stages as the scheduler does (events dealt round-robin), keeping the late counts. */
function eventJob(steps: unknown[], partitions = 1) {
  const plan = compileJob({ name: "t", input: "s", batchInterval: "1s", steps });
  const map = new MapStage(plan, partitions);
  let reducers = Array.from({ length: partitions }, (_, p) => new PartitionReducer(plan, p));
  let batch = 0;
  return {
    run(events: Row[]): Step {
      batch += 1;
      const batchTime = batch * 1000;
      const dealt: Row[][] = Array.from({ length: partitions }, () => []);
      events.forEach((e, i) => dealt[i % partitions]!.push(e));
      const mapped = dealt.map((share, partition) => map.run({ jobId: "t", batchTime, partition, blocks: [encodeBlock(share)] }));
      const reduced = reducers.map((r, partition) => r.run({ jobId: "t", batchTime, partition, shares: mapped.map((m) => m.shares![partition]!) }));
      const late = reduced.reduce((n, r) => n + (r.lateEvents ?? 0), 0);
      return { rows: reduced.some((r) => r.emitted) ? reduced.flatMap((r) => decodeRows(r.rows)) : null, late };
    },
    snapshot: () => reducers.map((r) => r.snapshot()),
    restore(snapshots: Uint8Array[], at: number) {
      reducers = Array.from({ length: partitions }, (_, p) => new PartitionReducer(plan, p));
      reducers.forEach((r, p) => r.restore(snapshots[p]!));
      batch = at;
    },
  };
}

const ev = (k: string, t: number | string, v = 1): Row => ({ k, t, v });
const keyed = (window: Record<string, unknown>, aggs: Record<string, unknown> = { n: { fn: "count" }, s: { fn: "sum", of: "v" } }) => [
  { op: "keyBy", key: "k" },
  { op: "eventWindow", time: "t", aggs, ...window },
];
const runAll = (steps: unknown[], batches: Row[][], partitions = 1) => {
  const job = eventJob(steps, partitions);
  return batches.map((b) => job.run(b));
};

describe("eventWindow: tumbling", () => {
  it("emits each window once, when the watermark passes its end (final)", () => {
    const out = runAll(keyed({ length: "10s" }), [
      [ev("a", 1000), ev("a", 5000, 2), ev("b", 9999)],
      [ev("a", 10_000)], // watermark 10000: [0, 10000) closes
      [ev("b", 15_000)],
      [ev("a", 20_000)], // [10000, 20000) closes
    ]);
    expect(out).toEqual([
      { rows: null, late: 0 },
      { rows: [{ key: "a", windowStart: 0, windowEnd: 10_000, n: 2, s: 3 }, { key: "b", windowStart: 0, windowEnd: 10_000, n: 1, s: 1 }], late: 0 },
      { rows: null, late: 0 },
      { rows: [{ key: "a", windowStart: 10_000, windowEnd: 20_000, n: 1, s: 1 }, { key: "b", windowStart: 10_000, windowEnd: 20_000, n: 1, s: 1 }], late: 0 },
    ]);
  });

  it("counts events for closed windows as late and does not fold them in; allowed lateness keeps windows open", () => {
    const out = runAll(keyed({ length: "10s", lateness: "5s" }), [
      [ev("a", 2000), ev("a", 12_000)], // watermark 7000: nothing closes
      [ev("a", 3000), ev("a", 15_000)], // 3000 is on time (window ends 10000 > 7000); watermark 10000 closes [0, 10000)
      [ev("a", 4000), ev("a", 14_000)], // 4000 is late (its window ended at 10000 <= 10000)
      [ev("a", 25_000)], // watermark 20000 closes [10000, 20000)
    ]);
    expect(out.map((o) => o.late)).toEqual([0, 0, 1, 0]);
    expect(out[1]!.rows).toEqual([{ key: "a", windowStart: 0, windowEnd: 10_000, n: 2, s: 2 }]);
    expect(out[3]!.rows).toEqual([{ key: "a", windowStart: 10_000, windowEnd: 20_000, n: 3, s: 3 }]);
  });

  it("does not judge events late against a maximum of their own batch", () => {
    const out = runAll(keyed({ length: "10s" }), [[ev("a", 50_000), ev("a", 1000)], [ev("a", 60_000)]]);
    expect(out[0]).toEqual({ rows: [{ key: "a", windowStart: 0, windowEnd: 10_000, n: 1, s: 1 }], late: 0 });
    expect(out[1]!.rows).toEqual([{ key: "a", windowStart: 50_000, windowEnd: 60_000, n: 1, s: 1 }]);
  });

  it("reads ISO-8601 times, and counts a row with no valid time as a row error", () => {
    const errors = { count: 0 };
    const out = runJob(keyed({ length: "1m" }), [[ev("a", "2024-01-01T00:00:10Z"), ev("a", "soon"), ev("a", "2024-01-01T00:01:00Z")]], { errors });
    const start = Date.parse("2024-01-01T00:00:00Z");
    expect(out[0]!.rows).toEqual([{ key: "a", windowStart: start, windowEnd: start + 60_000, n: 1, s: 1 }]);
    expect(errors.count).toBe(1);
  });

  it("counts a time past what a Date holds (1e308, -1e20) as a row error, and runs on (a sliding window over 1e308 never ended)", () => {
    const errors = { count: 0 };
    const out = runJob(keyed({ length: "2s", slide: "1s" }), [[ev("a", 1e308), ev("a", -1e20), ev("a", 8.64e15), ev("a", 1000)]], { errors });
    expect(errors.count).toBe(2);
    expect(out[0]!.rows).toEqual([
      { key: "a", windowStart: 0, windowEnd: 2000, n: 1, s: 1 },
      { key: "a", windowStart: 1000, windowEnd: 3000, n: 1, s: 1 },
    ]);
  });

  it("without keyBy, aggregates every row in one group per window", () => {
    const out = runAll([{ op: "eventWindow", time: "t", length: "10s", aggs: { n: { fn: "count" } } }], [[ev("a", 1), ev("b", 2), ev("c", 10_000)]], 3);
    expect(out[0]!.rows).toEqual([{ windowStart: 0, windowEnd: 10_000, n: 2 }]);
  });
});

describe("eventWindow: sliding", () => {
  it("puts an event in every window that covers it", () => {
    const out = runAll(keyed({ length: "10s", slide: "5s", lateness: "10s" }), [[ev("a", 7000), ev("a", 12_000)], [ev("a", 30_000)]]);
    expect(out[0]!.rows).toEqual(null);
    expect(out[1]!.rows).toEqual([
      { key: "a", windowStart: 0, windowEnd: 10_000, n: 1, s: 1 },
      { key: "a", windowStart: 5000, windowEnd: 15_000, n: 2, s: 2 },
      { key: "a", windowStart: 10_000, windowEnd: 20_000, n: 1, s: 1 },
    ]);
  });

  it("adds an event whose first window closed to its windows still open, without counting it late", () => {
    const out = runAll(keyed({ length: "10s", slide: "5s" }), [
      [ev("a", 1000), ev("a", 10_000)], // watermark 10000: [0, 10000) closes
      [ev("a", 7000)], // [0, 10000) closed, [5000, 15000) open: goes there only
      [ev("a", 2000)], // both of its windows ([-5000, 5000), [0, 10000)) closed: late
      [ev("a", 40_000)],
    ]);
    expect(out.map((o) => o.late)).toEqual([0, 0, 1, 0]);
    expect(out[1]!.rows).toBeNull();
    expect(out[3]!.rows).toEqual([
      { key: "a", windowStart: 5000, windowEnd: 15_000, n: 2, s: 2 },
      { key: "a", windowStart: 10_000, windowEnd: 20_000, n: 1, s: 1 },
    ]);
  });
});

describe("eventWindow: sessions", () => {
  it("merges events less than gap apart, closing a session when the watermark reaches its last event + gap", () => {
    const out = runAll(keyed({ gap: "5s", lateness: "10s" }), [
      [ev("a", 1000), ev("a", 9000), ev("b", 2000)],
      [ev("a", 5000)], // bridges a's two sessions
      [ev("a", 24_000)], // watermark 14000: a [1000, 9000] (ends 14000) and b [2000] (ends 7000) close
      [ev("a", 40_000)],
    ]);
    expect(out.slice(0, 2).map((o) => o.rows)).toEqual([null, null]);
    expect(out[2]!.rows).toEqual([
      { key: "a", windowStart: 1000, windowEnd: 14_000, n: 3, s: 3 },
      { key: "b", windowStart: 2000, windowEnd: 7000, n: 1, s: 1 },
    ]);
    expect(out[3]!.rows).toEqual([{ key: "a", windowStart: 24_000, windowEnd: 29_000, n: 1, s: 1 }]);
  });

  it("counts an event behind the watermark as late, even when it would extend an open session", () => {
    const out = runAll(keyed({ gap: "5s", lateness: "2s" }), [[ev("a", 10_000)], [ev("a", 7000)], [ev("a", 8500)], [ev("a", 30_000)]]);
    // watermark after batch 1: 8000. 7000 < 8000 is late; 8500 is not and joins [10000].
    expect(out.map((o) => o.late)).toEqual([0, 1, 0, 0]);
    expect(out[3]!.rows).toEqual([{ key: "a", windowStart: 8500, windowEnd: 15_000, n: 2, s: 2 }]);
  });
});

describe("eventWindow: emit update", () => {
  it("emits the windows each batch changed, including one that closes in that batch, and drops closed ones silently", () => {
    const out = runAll(keyed({ length: "10s", emit: "update" }), [
      [ev("a", 1000), ev("b", 2000)],
      [ev("a", 3000)],
      [],
      [ev("a", 9000), ev("a", 25_000)], // [0, 10000) changes and closes; b's closes unchanged: not emitted
      [ev("a", 4000)], // late
    ]);
    expect(out).toEqual([
      { rows: [{ key: "a", windowStart: 0, windowEnd: 10_000, n: 1, s: 1 }, { key: "b", windowStart: 0, windowEnd: 10_000, n: 1, s: 1 }], late: 0 },
      { rows: [{ key: "a", windowStart: 0, windowEnd: 10_000, n: 2, s: 2 }], late: 0 },
      { rows: null, late: 0 },
      { rows: [{ key: "a", windowStart: 0, windowEnd: 10_000, n: 3, s: 3 }, { key: "a", windowStart: 20_000, windowEnd: 30_000, n: 1, s: 1 }], late: 0 },
      { rows: null, late: 1 },
    ]);
  });

  it("emits a merged session under its new bounds", () => {
    const out = runAll(keyed({ gap: "5s", lateness: "10s", emit: "update" }), [[ev("a", 1000)], [ev("a", 9000)], [ev("a", 5000)]]);
    expect(out.map((o) => o.rows)).toEqual([
      [{ key: "a", windowStart: 1000, windowEnd: 6000, n: 1, s: 1 }],
      [{ key: "a", windowStart: 9000, windowEnd: 14_000, n: 1, s: 1 }],
      [{ key: "a", windowStart: 1000, windowEnd: 14_000, n: 3, s: 3 }],
    ]);
  });
});

describe("eventWindow: state", () => {
  it("drops closed windows, so state holds only open ones", () => {
    const plan = compileJob({ name: "t", input: "s", steps: keyed({ length: "1s" }) });
    const reducer = new PartitionReducer(plan, 0);
    const map = new MapStage(plan, 1);
    for (let i = 0; i < 50; i++) {
      const m = map.run({ jobId: "t", batchTime: (i + 1) * 1000, partition: 0, blocks: [encodeBlock([ev("a", i * 1000), ev(`k${i}`, i * 1000)])] });
      const r = reducer.run({ jobId: "t", batchTime: (i + 1) * 1000, partition: 0, shares: m.shares! });
      expect(r.stateSize).toBeLessThanOrEqual(2);
    }
  });
});

describe("eventWindow: job checks", () => {
  const problem = (window: Record<string, unknown>) => {
    try {
      compileJob({ name: "t", input: "s", steps: keyed(window) });
      return undefined;
    } catch (error) {
      return (error as { details?: { problems: { path: string }[] } }).details?.problems.map((p) => p.path);
    }
  };
  it.each([
    [{ gap: "5s", length: "10s" }, "steps[1].gap"],
    [{}, "steps[1].length"],
    [{ length: "10s", slide: "3s" }, "steps[1].slide"],
    [{ length: "10s", slide: "20s" }, "steps[1].slide"],
    [{ length: "0s" }, "steps[1].length"],
    [{ gap: "soon" }, "steps[1].gap"],
    [{ length: "1m", lateness: "x" }, "steps[1].lateness"],
  ])("refuses %j at %s", (window, path) => {
    expect(problem(window)).toEqual([path]);
  });

  it("must be the job's first keyed step", () => {
    expect(() =>
      compileJob({ name: "t", input: "s", steps: [{ op: "aggregate", aggs: { n: { fn: "count" } } }, { op: "eventWindow", time: "t", length: "1m", aggs: { n: { fn: "count" } } }] }),
    ).toThrow(/first aggregation/);
  });
});

/** An event of the property: key, event time within LATENESS of every other, a small integer. */
interface TimedEvent {
  k: string;
  t: number;
  v: number;
}
const LATENESS = 20_000;
const SHAPES = [{ length: "2s" }, { length: "5s" }, { length: "6s", slide: "2s" }, { length: "4s", slide: "1s" }, { gap: "1s" }, { gap: "3s" }] as const;
type Shape = (typeof SHAPES)[number];
const AGGS = { n: { fn: "count" }, s: { fn: "sum", of: "v" }, lo: { fn: "min", of: "v" }, hi: { fn: "max", of: "v" } };
const FLUSH: Row = { k: "flush", t: 1e12, v: 0 };

const timedEventArb: fc.Arbitrary<TimedEvent> = fc.record({ k: fc.constantFrom("a", "b", "c"), t: fc.integer({ min: 0, max: LATENESS }), v: fc.integer({ min: -5, max: 20 }) });

/** Windows computed from scratch: for each key, every window (or session) and the events in it. */
function referenceWindows(events: readonly TimedEvent[], shape: Shape): Row[] {
  const ms = (text: string) => Number(text.slice(0, -1)) * 1000;
  const spans: { k: string; start: number; end: number; members: TimedEvent[] }[] = [];
  for (const k of new Set(events.map((e) => e.k))) {
    const mine = events.filter((e) => e.k === k).sort((a, b) => a.t - b.t);
    if ("gap" in shape) {
      let current: TimedEvent[] = [];
      for (const e of mine) {
        if (current.length > 0 && e.t - current[current.length - 1]!.t >= ms(shape.gap)) {
          spans.push({ k, start: current[0]!.t, end: current[current.length - 1]!.t + ms(shape.gap), members: current });
          current = [];
        }
        current.push(e);
      }
      if (current.length > 0) spans.push({ k, start: current[0]!.t, end: current[current.length - 1]!.t + ms(shape.gap), members: current });
    } else {
      const length = ms(shape.length);
      const slide = "slide" in shape ? ms(shape.slide) : length;
      for (let start = -length; start <= LATENESS; start += slide) {
        const members = mine.filter((e) => e.t >= start && e.t < start + length);
        if (members.length > 0) spans.push({ k, start, end: start + length, members });
      }
    }
  }
  return spans.map(({ k, start, end, members }) => {
    const vs = members.map((e) => e.v);
    return { key: k, windowStart: start, windowEnd: end, n: vs.length, s: vs.reduce((a, b) => a + b, 0), lo: Math.min(...vs), hi: Math.max(...vs) };
  });
}

/** The events in a random order, cut into random batches (empty ones included). */
const arrivalsArb = fc.array(timedEventArb, { maxLength: 30 }).chain((events) =>
  fc.tuple(fc.constant(events), fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }), fc.array(fc.nat({ max: events.length }), { maxLength: 6 })),
);

function inBatches(ordered: readonly TimedEvent[], cuts: readonly number[]): Row[][] {
  const at = [0, ...[...cuts].sort((a, b) => a - b), ordered.length];
  return at.slice(1).map((end, i) => ordered.slice(at[i]!, end).map((e) => ({ ...e })));
}

describe("eventWindow: any arrival grouping", () => {
  it("gives the same final windows as a from-scratch computation, over 1-4 partitions", () => {
    fc.assert(
      fc.property(arrivalsArb, fc.constantFrom(...SHAPES), fc.integer({ min: 1, max: 4 }), ([events, ordered, cuts], shape, partitions) => {
        const job = eventJob(keyed({ ...shape, lateness: `${LATENESS / 1000}s` }, AGGS), partitions);
        const out = [...inBatches(ordered, cuts), [FLUSH]].map((b) => job.run(b));
        expect(out.reduce((n, o) => n + o.late, 0)).toBe(0);
        expect(asMultiset(out.flatMap((o) => o.rows ?? []))).toEqual(asMultiset(referenceWindows(events, shape)));
      }),
      { numRuns: 150 },
    );
  });

  it("in update mode, the last row emitted for each window is its final row", () => {
    fc.assert(
      fc.property(arrivalsArb, fc.constantFrom(...SHAPES.filter((s) => !("gap" in s))), fc.integer({ min: 1, max: 4 }), ([events, ordered, cuts], shape, partitions) => {
        const job = eventJob(keyed({ ...shape, lateness: `${LATENESS / 1000}s`, emit: "update" }, AGGS), partitions);
        const last = new Map<string, Row>();
        for (const batch of [...inBatches(ordered, cuts), [FLUSH]]) {
          for (const row of job.run(batch).rows ?? []) if (row.key !== "flush") last.set(JSON.stringify([row.key, row.windowStart]), row);
        }
        expect(asMultiset([...last.values()])).toEqual(asMultiset(referenceWindows(events, shape)));
      }),
      { numRuns: 100 },
    );
  });
});

describe("eventWindow: snapshot and restore", () => {
  it("continues mid-stream exactly as a run that never stopped", () => {
    const eventArb = fc.record({ k: fc.constantFrom("a", "b"), t: fc.integer({ min: 0, max: 30_000 }), v: fc.integer({ min: 0, max: 9 }) });
    fc.assert(
      fc.property(
        fc.array(fc.array(eventArb, { maxLength: 8 }), { minLength: 1, maxLength: 8 }),
        fc.constantFrom(...SHAPES),
        fc.constantFrom("final", "update"),
        fc.integer({ min: 1, max: 4 }),
        fc.nat(),
        (batches, shape, emit, partitions, cut) => {
          const steps = keyed({ ...shape, lateness: "3s", emit }, AGGS);
          const at = cut % batches.length;
          const straight = eventJob(steps, partitions);
          const expected = batches.map((b) => straight.run(b));
          const first = eventJob(steps, partitions);
          batches.slice(0, at).forEach((b) => first.run(b));
          const resumed = eventJob(steps, partitions);
          resumed.restore(first.snapshot(), at);
          expect(batches.slice(at).map((b) => resumed.run(b))).toEqual(expected.slice(at));
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("eventWindow: row order across reduce partitions", () => {
  it("gives the whole batch's rows by window, then key, however many partitions hold the keys", () => {
    const users = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"];
    const events = users.flatMap((k, i) => [ev(k, 1000 + i), ev(k, 12_000 + i), ev(k, 25_000)]);
    for (const partitions of [1, 3, 4]) {
      const [first, second] = runJob(keyed({ length: "10s", emit: "update" }), [events, [ev("zed", 26_000)]], { partitions });
      const windows = first!.rows.map((r) => [r.windowStart, r.key]);
      const expected = [0, 10_000, 20_000].flatMap((start) => [...users].sort().map((k) => [start, k]));
      expect(windows, `${partitions} partitions`).toEqual(expected);
      // The steps after it see the rows in that order too.
      expect(second!.rows.map((r) => r.key)).toEqual(["zed"]);
    }
  });

  it("keeps that order through the steps after it", () => {
    const events = ["bob", "carol", "alice", "dave"].map((k) => ev(k, 1000));
    const steps = [...keyed({ length: "10s", emit: "update" }), { op: "map", project: { who: "key" } }];
    expect(runJob(steps, [events], { partitions: 4 })[0]!.rows).toEqual([{ who: "alice" }, { who: "bob" }, { who: "carol" }, { who: "dave" }]);
  });
});

describe("eventWindow with idleTimeout", () => {
  it("closes an idle input's last window once no event has come for idleTimeout, and not before", () => {
    // Batches are 1 s apart (batch times 1000, 2000, ...); events carry their own times.
    const job = eventJob(keyed({ length: "10s", idleTimeout: "3s" }));
    expect(job.run([ev("a", 100_000), ev("a", 101_000), ev("b", 103_000)]).rows).toBeNull();
    // Two quiet batches: still within the idle timeout, the window [100 s, 110 s) stays open.
    expect(job.run([]).rows).toBeNull();
    expect(job.run([]).rows).toBeNull();
    // Idle for 3 s of batch time: event time keeps pace with it from the last event (103 s), so the
    // watermark reaches 106 s, 107 s, ... and the window closes once it reaches 110 s.
    const closing: (Row[] | null)[] = [];
    for (let i = 0; i < 6; i++) closing.push(job.run([]).rows);
    expect(closing.filter((rows) => rows !== null)).toEqual([
      [
        { key: "a", windowStart: 100_000, windowEnd: 110_000, n: 2, s: 2 },
        { key: "b", windowStart: 100_000, windowEnd: 110_000, n: 1, s: 1 },
      ],
    ]);
    // Without idleTimeout the same input never closes its window.
    const still = eventJob(keyed({ length: "10s" }));
    still.run([ev("a", 100_000), ev("a", 101_000), ev("b", 103_000)]);
    for (let i = 0; i < 20; i++) expect(still.run([]).rows).toBeNull();
  });

  it("decides the same after a restore from a snapshot taken while idle", () => {
    const events = [ev("a", 100_000), ev("b", 104_000)];
    const straight = eventJob(keyed({ length: "10s", idleTimeout: "2s" }));
    const restored = eventJob(keyed({ length: "10s", idleTimeout: "2s" }));
    const a: (Row[] | null)[] = [straight.run(events).rows];
    const b: (Row[] | null)[] = [restored.run(events).rows];
    for (let i = 0; i < 3; i++) {
      a.push(straight.run([]).rows);
      b.push(restored.run([]).rows);
    }
    restored.restore(restored.snapshot(), 4);
    for (let i = 0; i < 10; i++) {
      a.push(straight.run([]).rows);
      b.push(restored.run([]).rows);
    }
    expect(b).toEqual(a);
    expect(a.filter((rows) => rows !== null)).toHaveLength(1);
  });

  it("refuses an idleTimeout shorter than the batch interval, naming it", () => {
    expect(() => compileJob({ name: "t", input: "s", batchInterval: "1s", steps: keyed({ length: "10s", idleTimeout: "500ms" }) })).toThrow(/steps\[1\]\.idleTimeout: idleTimeout 500ms must be at least the batch interval 1s/);
  });
});
