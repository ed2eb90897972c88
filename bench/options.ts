/**
 * Sizes of every measurement: `--quick` (under 3 minutes on 2 cores) or the full run (under 10); and
 * which sections run: all, or those named by `--only` (e.g. `--only=nexmark`, `--only=throughput,memory`).
 */
import { QUERIES, type QueryName } from "./nexmark/queries.js";

export interface BenchOptions {
  readonly quick: boolean;
  /** Distinct words the records are drawn from. */
  readonly vocabularySize: number;
  /** Partitions of every input stream (and reduce partitions of every job). */
  readonly partitions: number;
  /** Batches a window spans in the throughput runs (30 s at 1 s batches, as in the paper). */
  readonly windowBatches: number;
  readonly throughput: {
    /** grep: batches, of which the first `warmupBatches` are not measured. */
    readonly grep: { readonly batches: number; readonly warmupBatches: number; readonly recordsPerBatch: number };
    /** wordcount and topk: the window fills, then `measuredBatches` slide it. */
    readonly windowed: { readonly measuredBatches: number; readonly recordsPerBatch: number };
    /** Also time the engine on the in-thread runner, next to the pool. */
    readonly inThreadToo: boolean;
  };
  /**
   * Scaling (2 workers ÷ 1): wordcount batches of this many records, near what one worker handles in
   * a 1 s batch interval, over a window of `windowBatches`; `measuredBatches` after the window fills.
   * At 50,000 records a batch every word of the vocabulary is in any window, so a batch's work is that
   * of the 30 s window (add one batch, subtract one, emit every word); the shorter window only fills
   * sooner, which leaves time to measure more batches. The two pools take turns of `turnBatches`
   * batches each; the first batch of a turn is not measured (see scaling.ts). `smallBatchesToo`: also
   * on the throughput runs' batches (30 s window).
   */
  readonly scaling: { readonly recordsPerBatch: number; readonly windowBatches: number; readonly measuredBatches: number; readonly turnBatches: number; readonly smallBatchesToo: boolean };
  /**
   * The quick run uses the in-thread runner here, so that 300 one-second batches fit in its time; the
   * full run uses the pool.
   */
  readonly incrementalWindow: { readonly recordsPerBatch: number; readonly measuredBatches: number; readonly longWindowBatches: number; readonly runner: "in-thread" | "pool" };
  /** emit "all" against "changes": keys in the window, events (changed keys) per slide, slides measured. */
  readonly windowEmit: import("./window-emit.js").WindowEmitOptions;
  /** A max (no inverse) over a 30 s window and a 10 s tumbling one: distinct words, events per batch, slides measured. */
  readonly windowMax: import("./window-max.js").WindowMaxOptions;
  /** Replay: history events stored before a job starts from "earliest", and its catch-up batch bound. */
  readonly catchUp: import("./catch-up.js").CatchUpOptions;
  /** Distinct keys held in window state for the memory figure. */
  readonly memoryKeys: number;
  readonly e2e: {
    /** Concurrent HTTP clients pushing NDJSON. */
    readonly clients: number;
    /** Distinct 1,000-event bodies cycled through. */
    readonly bodies: number;
    /** Length of one load step, of which the first `warmupMs` is not judged. */
    readonly stepMs: number;
    readonly warmupMs: number;
    /** Rates tried: start, growth factor, halvings between the last good and first bad rate. */
    readonly rampFactor: number;
    readonly bisections: number;
    readonly maxSteps: number;
    readonly maxRecordsPerSec: number;
    /** How long a step may take to catch up after its load stops before it is given up on. */
    readonly drainMs: number;
  };
  readonly latency: { readonly batchIntervalsMs: readonly number[]; readonly loadFractions: readonly number[]; readonly stepMs: number };
  /** Recovery runs under a load of a fraction of what the engine sustained (see run.ts). */
  readonly recovery: { readonly checkpointIntervalMs: number; readonly afterKillMs: number };
  /**
   * Nexmark: `batches` 1 s batches of `eventsPerBatch` generated events (one second of event time
   * each), the first `warmupBatches` (the 10 s windows filling) not measured; `queries` to run.
   */
  readonly nexmark: { readonly seed: number; readonly eventsPerBatch: number; readonly batches: number; readonly warmupBatches: number; readonly queries: readonly QueryName[] };
  /** Many windowed wordcount jobs on one stream at a fixed rate, and 20 jobs at 100 ms batches (see many-jobs.ts). */
  readonly manyJobs: import("./many-jobs.js").ManyJobsOptions;
  /** Three nodes on one Redis: a node SIGKILLed (see cluster-failover.ts), and 30 jobs on 3 nodes against 1 (cluster-jobs.ts). */
  readonly cluster: { readonly failover: import("./cluster-failover.js").ClusterFailoverOptions; readonly jobs: import("./cluster-jobs.js").ClusterJobsOptions };
}

/** The sections `npm run bench` runs, in order; `--only` takes any of these names (or a prefix of one). */
export const SECTIONS = ["throughput", "scaling", "stragglers", "incremental window", "window emit", "window max", "catch up", "many jobs", "fast batches", "memory", "end to end", "recovery", "server restart", "ingest", "cluster node killed", "cluster many jobs", "nexmark"] as const;

/**
 * The sections named by `--only=a,b` (or `--only a,b`), or null for all. A section is run when its
 * name starts with one of them ("throughput" runs "throughput grep", "throughput wordcount", ...).
 */
export function onlySections(argv: readonly string[]): string[] | null {
  const value = flagValue(argv, "--only");
  if (value === undefined) return null;
  const names = value.split(",").map((s) => s.trim().replaceAll("-", " ")).filter((s) => s.length > 0);
  const unknown = names.filter((n) => !SECTIONS.some((s) => s.startsWith(n)));
  if (names.length === 0 || unknown.length > 0) throw new Error(`--only takes section names separated by commas, from: ${SECTIONS.join(", ")}${unknown.length > 0 ? ` (not a section: ${unknown.join(", ")})` : ""}`);
  return names;
}

/** The Nexmark queries named by `--nexmark=q0,q5` (all when the flag is absent). */
export function nexmarkQueries(argv: readonly string[]): readonly QueryName[] {
  const value = flagValue(argv, "--nexmark");
  if (value === undefined) return QUERIES;
  const names = value.split(",").map((s) => s.trim());
  const unknown = names.filter((n) => !(QUERIES as readonly string[]).includes(n));
  if (unknown.length > 0) throw new Error(`--nexmark takes queries separated by commas, from: ${QUERIES.join(", ")} (not a query: ${unknown.join(", ")})`);
  return names as QueryName[];
}

function flagValue(argv: readonly string[], flag: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === flag) return argv[i + 1] ?? "";
    if (argv[i]!.startsWith(`${flag}=`)) return argv[i]!.slice(flag.length + 1);
  }
  return undefined;
}

export function benchOptions(quick: boolean, queries: readonly QueryName[] = QUERIES): BenchOptions {
  return {
    quick,
    vocabularySize: 20_000,
    partitions: 4,
    windowBatches: 30,
    throughput: {
      grep: { batches: quick ? 8 : 12, warmupBatches: quick ? 3 : 4, recordsPerBatch: quick ? 60_000 : 150_000 },
      windowed: { measuredBatches: 10, recordsPerBatch: quick ? 1_500 : 5_000 },
      inThreadToo: !quick,
    },
    scaling: { recordsPerBatch: 50_000, windowBatches: quick ? 4 : 10, measuredBatches: quick ? 12 : 25, turnBatches: quick ? 4 : 5, smallBatchesToo: !quick },
    incrementalWindow: { recordsPerBatch: 200, measuredBatches: quick ? 10 : 20, longWindowBatches: 300, runner: quick ? "in-thread" : "pool" },
    windowEmit: { keys: quick ? 20_000 : 50_000, eventsPerSlide: 100, measuredSlides: quick ? 10 : 20 },
    windowMax: { keys: quick ? 20_000 : 50_000, eventsPerBatch: quick ? 2_000 : 5_000, measuredSlides: quick ? 10 : 20 },
    catchUp: { events: quick ? 200_000 : 1_000_000, catchUpBatchBytes: 64 * 1024 * 1024 },
    memoryKeys: quick ? 250_000 : 1_000_000,
    e2e: {
      clients: 4,
      bodies: quick ? 48 : 96,
      stepMs: quick ? 2_500 : 6_000,
      warmupMs: quick ? 800 : 1_000,
      rampFactor: quick ? 2 : 1.6,
      bisections: quick ? 1 : 2,
      maxSteps: quick ? 4 : 7,
      maxRecordsPerSec: 2_000_000,
      drainMs: quick ? 4_000 : 12_000,
    },
    latency: { batchIntervalsMs: [100, 500, 1000], loadFractions: quick ? [0.5] : [0.25, 0.5, 0.75], stepMs: quick ? 2_500 : 6_000 },
    recovery: { checkpointIntervalMs: quick ? 4_000 : 10_000, afterKillMs: quick ? 2_000 : 4_000 },
    nexmark: { seed: 1, eventsPerBatch: 10_000, batches: quick ? 20 : 30, warmupBatches: 10, queries },
    manyJobs: {
      jobCounts: quick ? [1, 50] : [1, 10, 50, 200],
      emits: ["all", "changes"],
      recordsPerSec: 1_100,
      warmupMs: quick ? 3_000 : 5_000,
      measureMs: quick ? 8_000 : 12_000,
      idleJobs: quick ? 0 : 200,
      fastBatches: { jobs: 20, batchIntervalMs: 100, warmupMs: quick ? 3_000 : 5_000, measureMs: quick ? 8_000 : 12_000 },
    },
    cluster: {
      failover: { leaseTtlsMs: [1_000, 2_000], killsPerTtl: quick ? 2 : 3, jobs: 12, checkpointIntervalMs: 10_000, eventsPerBody: 50, ingestEveryMs: 100, giveUpMs: 30_000 },
      jobs: { jobs: 30, stepMs: quick ? 8_000 : 12_000, drainMs: 20_000, eventsPerBody: 20, search: { startRate: 500, factor: 2, bisections: quick ? 0 : 1, maxSteps: quick ? 4 : 6, minRate: 50 } },
    },
  };
}
