/**
 * `npm run bench [-- --quick] [-- --only=nexmark] [-- --nexmark=q0,q5]`: every measurement of issue 6
 * in one run, in a fixed order, each section bounded and isolated (a section that cannot run leaves
 * null figures and a note). With `--only`, only the named sections run and their figures replace
 * those of the previous bench/results/latest.json, the others kept. Writes
 * bench/results/latest.json and docs/benchmarks.md; exits 1 when any answer was wrong. A section's
 * name may be written with dashes for spaces (`--only=window-emit`).
 */
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { measureClusterFailover } from "./cluster-failover.js";
import { measureClusterJobs } from "./cluster-jobs.js";
import { vocabulary } from "./corpus.js";
import { findPeak } from "./e2e-ramp.js";
import { makeBodies } from "./e2e-step.js";
import { collectGarbage } from "./gc.js";
import { measureIncrementalWindow } from "./incremental-window.js";
import { measureIngestStores } from "./ingest-stores.js";
import { measureLatency } from "./latency.js";
import { measureFastBatches, measureManyJobs } from "./many-jobs.js";
import { measureMemory } from "./memory.js";
import { measureNexmark } from "./nexmark/measure.js";
import { benchOptions, nexmarkQueries, onlySections } from "./options.js";
import { RESULTS_FILE, writeResults } from "./report.js";
import type { BenchResults, WorkloadFigures } from "./results.js";
import { measureScaling } from "./scaling.js";
import { measureStragglers } from "./straggler.js";
import { measureServerRestart } from "./server-restart.js";
import { measureManyJobsRestart } from "./restart-many-jobs.js";
import { ServerProcess } from "../test/support/server-process.js";
import { judgeTargets } from "./targets.js";
import { measureThroughput, type ThroughputRun } from "./throughput.js";
import { measureWorkerKill } from "./worker-kill.js";
import { measureWindowEmit } from "./window-emit.js";
import { measureWindowMax } from "./window-max.js";
import { measureCatchUp } from "./catch-up.js";
import { WORKLOADS, type WorkloadName } from "./workloads.js";

const quick = process.argv.includes("--quick");
const only = onlySections(process.argv);
const options = benchOptions(quick, nexmarkQueries(process.argv));
const selected = (name: string) => only === null || only.some((o) => name.startsWith(o));
const started = Date.now();
const log = (message: string) => process.stderr.write(`[bench +${((Date.now() - started) / 1000).toFixed(0)}s] ${message}\n`);

const unmeasured = (): WorkloadFigures => ({ engineRecordsPerSec: null, baselineRecordsPerSec: null, ratioToBaseline: null, rxjsRecordsPerSec: null, ratioToRxjs: null, e2eRecordsPerSec: null });
const results: BenchResults = {
  mode: quick ? "quick" : "full",
  startedAt: new Date(started).toISOString(),
  durationSec: 0,
  machine: { cpus: os.availableParallelism(), cpuModel: os.cpus()[0]?.model.trim() ?? "unknown", memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.arch()}` },
  setup: {
    recordBytes: 100,
    vocabularyWords: options.vocabularySize,
    partitions: options.partitions,
    windowSec: options.windowBatches,
    slideSec: 1,
    throughput: options.throughput,
    e2e: { ...options.e2e, bodyEvents: 1000, server: "node dist/main.js, embedded store, WORKERS = one per core" },
    recovery: options.recovery,
  },
  workloads: { grep: unmeasured(), wordcount: unmeasured(), topk: unmeasured() },
  latency: [],
  scaling: { ratio: null },
  incrementalWindow: { ratio: null },
  recovery: { workerKillMs: null, serverRestartMs: null },
  memory: { rssBytesPerMillionKeys: null },
  ingest: { embeddedRecordsPerSec: null, redisRecordsPerSec: null, ratio: null },
  stragglers: { normalMsPerBatch: null, slowedMsPerBatch: null, speculatedMsPerBatch: null, ratio: null },
  nexmark: {},
  targets: [],
  failures: [],
  notes: [],
};
const failures: string[] = [];
const notes: string[] = [];

/** Runs one section; an error becomes a note (its figures stay null) and the run goes on. */
async function section(name: string, body: () => Promise<void>): Promise<void> {
  if (!selected(name)) return;
  const t = Date.now();
  log(`${name}…`);
  try {
    await body();
  } catch (error) {
    notes.push(`${name} could not be measured: ${(error as Error).message}`);
    log(`${name} failed: ${(error as Error).stack ?? String(error)}`);
  }
  collectGarbage();
  log(`${name} done in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}

const clamp = (n: number, low: number, high: number) => Math.round(Math.min(high, Math.max(low, n)));
const words = vocabulary(options.vocabularySize);
const runs = new Map<WorkloadName, ThroughputRun>();

for (const workload of WORKLOADS) {
  await section(`throughput ${workload}`, async () => {
    const run = await measureThroughput(workload, options, words, failures, notes);
    runs.set(workload, run);
    results.workloads[workload] = { ...results.workloads[workload], ...run.figures };
  });
}

await section("scaling", async () => {
  const wordcount = runs.get("wordcount");
  results.scaling = wordcount ? await measureScaling(wordcount, words, options, failures) : { ratio: null, reason: "the wordcount throughput run failed" };
});

await section("stragglers", async () => {
  const wordcount = runs.get("wordcount");
  if (!wordcount) throw new Error("the wordcount throughput run did not complete");
  results.stragglers = await measureStragglers(wordcount, options, failures);
});

await section("incremental window", async () => {
  results.incrementalWindow = await measureIncrementalWindow(options, words, failures, notes);
});

await section("window emit", async () => {
  results.windowEmit = await measureWindowEmit(options.windowEmit, failures);
});

await section("window max", async () => {
  results.windowMax = await measureWindowMax(options.windowMax, failures);
});

await section("catch up", async () => {
  results.catchUp = await measureCatchUp(options.catchUp, words, failures);
});

await section("many jobs", async () => {
  results.manyJobs = await measureManyJobs(options.manyJobs, words, log);
});

await section("fast batches", async () => {
  results.fastBatches = await measureFastBatches(options.manyJobs, words, log);
});

await section("memory", async () => {
  results.memory = await measureMemory(options.memoryKeys, failures);
});

const bodies = makeBodies(options.e2e.bodies, words);
const serverBuilt = existsSync(path.resolve(import.meta.dirname, "../../dist/main.js"));
if (!serverBuilt && only === undefined) notes.push("dist/main.js is missing: run `npm run build` (npm run bench does) for the end-to-end figures");

if (serverBuilt) {
  await section("end to end", async () => {
    const server = await ServerProcess.start({ LOG_LEVEL: "error" });
    try {
      for (const workload of WORKLOADS) {
        await section(`end to end ${workload}`, async () => {
          // Start near what the engine did in process, so the ramp needs few steps.
          const engine = results.workloads[workload].engineRecordsPerSec ?? 20_000;
          const start = workload === "grep" ? Math.min(100_000, engine / 4) : clamp(engine, 2_000, 100_000);
          const ramp = await findPeak(server, workload, start, options, bodies, failures);
          results.workloads[workload].e2eRecordsPerSec = ramp.peak;
          results.workloads[workload].e2eSteps = ramp.steps;
          if (ramp.peak === null) results.workloads[workload].e2eReason = "no step was sustainable";
        });
      }
      const grepPeak = results.workloads.grep.e2eRecordsPerSec;
      await section("latency", async () => {
        if (grepPeak === null) throw new Error("there is no grep end-to-end peak to take half of");
        results.latency = await measureLatency(server, grepPeak, options, bodies, failures);
      });
    } finally {
      await server.dispose();
    }
  });
}

await section("recovery: worker killed", async () => {
  // Well under what the engine sustained, so that "back on schedule" is not confused with overload.
  const load = clamp(0.15 * (results.workloads.wordcount.engineRecordsPerSec ?? 5_000), 2_000, 20_000);
  Object.assign(results.recovery, await measureWorkerKill(options, load, words, failures));
});

if (serverBuilt) {
  await section("recovery: server killed", async () => {
    const load = clamp(0.4 * (results.workloads.wordcount.e2eRecordsPerSec ?? 5_000), 2_000, 20_000);
    Object.assign(results.recovery, await measureServerRestart(options, load, bodies, failures));
  });
}

if (serverBuilt) {
  await section("server restart with 100 jobs", async () => {
    results.serverRestartWithJobs = await measureManyJobsRestart(options, 100, failures);
  });
}

if (serverBuilt) {
  await section("ingest: Redis ÷ embedded store", async () => {
    results.ingest = await measureIngestStores(bodies.bodies, quick ? 2_000 : 5_000);
  });
}

if (serverBuilt) {
  await section("cluster node killed", async () => {
    results.cluster = { ...results.cluster, failover: await measureClusterFailover(options.cluster.failover, words, failures, log) };
  });
  await section("cluster many jobs", async () => {
    results.cluster = { ...results.cluster, jobs: await measureClusterJobs(options.cluster.jobs, words, log) };
  });
}

await section("nexmark", async () => {
  const run = await measureNexmark(options, failures, log);
  results.nexmark = run.figures;
  results.setup.nexmark = run.setup;
});

const written = only === null ? results : mergedWithPrevious(results, only);
if (only === null) results.durationSec = Math.round((Date.now() - started) / 1000);
written.failures.push(...failures);
written.notes.push(...notes);
written.targets = judgeTargets(written);
await writeResults(written);
log(`wrote ${path.relative(process.cwd(), RESULTS_FILE)} and docs/benchmarks.md in ${results.durationSec} s`);
for (const t of written.targets) log(`${t.met === null ? "n/a   " : t.met ? "met   " : "MISSED"} ${t.name}: ${t.value ?? "—"} (target ${t.target})`);
if (failures.length > 0) {
  log(`FAILED: ${failures.length} wrong answer(s):\n  ${failures.join("\n  ")}`);
  process.exit(1);
}
process.exit(0);

/**
 * A partial run (`--only`): the previous results with the figures of the sections that ran put in;
 * the previous run's failures and notes stay, but those of re-run Nexmark queries are replaced.
 */
function mergedWithPrevious(fresh: BenchResults, sections: readonly string[]): BenchResults {
  if (!existsSync(RESULTS_FILE)) return fresh;
  const previous = JSON.parse(readFileSync(RESULTS_FILE, "utf8")) as BenchResults;
  const merged: BenchResults = { ...previous, nexmark: previous.nexmark ?? {}, setup: { ...previous.setup } };
  const ran = (name: string) => sections.some((o) => name.startsWith(o));
  if (ran("nexmark")) {
    // Queries not re-run (see --nexmark) keep their figures, failures and notes.
    const rerun = Object.keys(fresh.nexmark).map((q) => `nexmark ${q}:`);
    merged.nexmark = { ...merged.nexmark, ...fresh.nexmark };
    merged.setup.nexmark = fresh.setup.nexmark;
    merged.failures = previous.failures.filter((f) => !rerun.some((q) => f.startsWith(q)));
    merged.notes = previous.notes.filter((n) => !n.startsWith("nexmark could not be measured"));
  }
  for (const name of WORKLOADS) if (ran(`throughput ${name}`)) merged.workloads[name] = fresh.workloads[name];
  if (ran("scaling")) merged.scaling = fresh.scaling;
  if (ran("stragglers")) merged.stragglers = fresh.stragglers;
  if (ran("incremental window")) merged.incrementalWindow = fresh.incrementalWindow;
  if (ran("window emit")) merged.windowEmit = fresh.windowEmit;
  if (ran("window max")) merged.windowMax = fresh.windowMax;
  if (ran("catch up")) merged.catchUp = fresh.catchUp;
  if (ran("memory")) merged.memory = fresh.memory;
  if (ran("many jobs")) merged.manyJobs = fresh.manyJobs;
  if (ran("fast batches")) merged.fastBatches = fresh.fastBatches;
  if (ran("end to end")) {
    merged.latency = fresh.latency;
    for (const name of WORKLOADS) {
      const { e2eRecordsPerSec, e2eSteps, e2eReason } = fresh.workloads[name];
      merged.workloads[name] = { ...merged.workloads[name], e2eRecordsPerSec, ...(e2eSteps ? { e2eSteps } : {}), ...(e2eReason ? { e2eReason } : {}) };
    }
  }
  if (ran("recovery")) merged.recovery = fresh.recovery;
  if (ran("server restart with 100 jobs") && fresh.serverRestartWithJobs) merged.serverRestartWithJobs = fresh.serverRestartWithJobs;
  if (ran("ingest")) merged.ingest = fresh.ingest;
  if (ran("cluster node killed") && fresh.cluster?.failover) merged.cluster = { ...merged.cluster, failover: fresh.cluster.failover };
  if (ran("cluster many jobs") && fresh.cluster?.jobs) merged.cluster = { ...merged.cluster, jobs: fresh.cluster.jobs };
  return merged;
}
