/**
 * The Nexmark section of the benchmark: the same generated events go through each query's Tributary
 * jobs in this process (timed per batch) and through the plain recomputation of reference.ts; any
 * difference is a failed answer check. The engine runs on the in-thread runner, every task on one
 * thread, so its events per second are events per second per core, the unit of Flink's figures.
 */
import { toBlocks, type BatchSource, type Row } from "../corpus.js";
import { collectGarbage } from "../gc.js";
import { loadSince, sampleLoad } from "../machine-load.js";
import type { BenchOptions } from "../options.js";
import { answerDifference } from "./answers.js";
import { runNexmarkEngine } from "./engine-run.js";
import { FLINK_EVENTS_PER_SEC_PER_CORE, FLINK_SOURCE } from "./flink.js";
import { NexmarkGenerator, type NexmarkEvent } from "./generator.js";
import { QUERIES, type QueryName } from "./queries.js";
import { referenceAnswer } from "./reference.js";

export interface NexmarkFigures {
  engineEventsPerSecPerCore: number | null;
  /** Not measured yet (see E2E_NOT_MEASURED). */
  e2eEventsPerSecPerCore: number | null;
  e2eReason?: string;
  flinkEventsPerSecPerCore: number;
  /** "checked" (the engine's rows equal the recomputation's), "wrong: ..." or "not checked: ...". */
  answers: string;
  /** Rows of the answer (the recomputation's). */
  answerRows?: number;
  rowErrors?: number;
  reason?: string;
}

export const E2E_NOT_MEASURED =
  "not measured yet: the HTTP ramp (bench/e2e-step.ts) is built around the paper's workloads; Nexmark over HTTP needs fresh, time-ordered bodies at each step (cycled bodies would send event time backwards) and an answer check over exactly the acknowledged events";

export interface NexmarkRun {
  readonly figures: Record<QueryName, NexmarkFigures>;
  readonly setup: Record<string, unknown>;
}

/** A batch source over events already made: batch i holds events [(i-1)·n, i·n). */
export function eventSource(events: readonly NexmarkEvent[], eventsPerBatch: number): BatchSource {
  return {
    batches: Math.floor(events.length / eventsPerBatch),
    recordsPerBatch: eventsPerBatch,
    batch(index) {
      const slice = events.slice((index - 1) * eventsPerBatch, index * eventsPerBatch) as unknown as Row[];
      return { events: slice, blocks: () => toBlocks(slice) };
    },
  };
}

/**
 * The answer check: "checked" when the engine's rows are the recomputation's; otherwise "wrong: ..."
 * and a failure for the run (which then exits non-zero).
 */
export function checkAnswer(query: QueryName, expected: readonly Row[], actual: readonly Row[], failures: string[]): string {
  const difference = answerDifference(expected, actual);
  if (difference === undefined) return "checked";
  failures.push(`nexmark ${query}: the engine disagrees with the plain recomputation: ${difference}`);
  return `wrong: ${difference}`;
}

/** Runs one query on the engine and checks its answer; the figure is over batches after `warmupBatches`. */
export async function measureQuery(query: QueryName, events: readonly NexmarkEvent[], options: BenchOptions["nexmark"], partitions: number, failures: string[]): Promise<NexmarkFigures> {
  const source = eventSource(events, options.eventsPerBatch);
  const flink = FLINK_EVENTS_PER_SEC_PER_CORE[query];
  const run = await runNexmarkEngine(query, source, { runner: "in-thread", partitions });
  collectGarbage();
  const expected = referenceAnswer(query, events.slice(0, source.batches * source.recordsPerBatch));
  let ms = 0;
  for (let b = options.warmupBatches + 1; b <= source.batches; b++) ms += run.batchMs[b] ?? 0;
  const measured = (source.batches - options.warmupBatches) * source.recordsPerBatch;
  return {
    engineEventsPerSecPerCore: ms > 0 ? Math.round((measured * 1000) / ms) : null,
    e2eEventsPerSecPerCore: null,
    e2eReason: E2E_NOT_MEASURED,
    flinkEventsPerSecPerCore: flink,
    answers: checkAnswer(query, expected, run.rows, failures),
    answerRows: expected.length,
    rowErrors: run.rowErrors,
  };
}

export async function measureNexmark(options: BenchOptions, failures: string[], log: (message: string) => void): Promise<NexmarkRun> {
  const n = options.nexmark;
  const load = sampleLoad();
  const started = new Date().toISOString();
  const generator = new NexmarkGenerator({ seed: n.seed, eventsPerSecond: n.eventsPerBatch });
  const events = generator.events(0, n.eventsPerBatch * n.batches);
  const figures = {} as Record<QueryName, NexmarkFigures>;
  for (const query of QUERIES) {
    if (!n.queries.includes(query)) continue;
    try {
      figures[query] = await measureQuery(query, events, n, options.partitions, failures);
    } catch (error) {
      figures[query] = { engineEventsPerSecPerCore: null, e2eEventsPerSecPerCore: null, flinkEventsPerSecPerCore: FLINK_EVENTS_PER_SEC_PER_CORE[query], answers: "not checked: the query could not run", reason: (error as Error).message };
    }
    const f = figures[query];
    log(`nexmark ${query}: ${f.engineEventsPerSecPerCore ?? "—"} events/s per core (Flink ${f.flinkEventsPerSecPerCore}), answers ${f.answers}`);
    collectGarbage();
  }
  return {
    figures,
    setup: {
      measuredAt: started,
      events: events.length,
      eventsPerBatch: n.eventsPerBatch,
      batches: n.batches,
      warmupBatches: n.warmupBatches,
      batchIntervalMs: 1000,
      eventTimeRate: `${n.eventsPerBatch} events per second of event time (one batch holds one second of event time)`,
      seed: n.seed,
      partitions: options.partitions,
      runner: "in-thread (one thread: events/s = events/s per core)",
      flink: FLINK_SOURCE,
      machineLoad: loadSince(load),
    },
  };
}
