/**
 * Writes the run's results: bench/results/latest.json, its latency chart bench/results/latency.svg,
 * and docs/benchmarks.md, all from the same results so that they never disagree.
 */
import { mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { MachineLoad } from "./machine-load.js";
import { clusterSection } from "./cluster-report.js";
import { manyJobsSection } from "./many-jobs-report.js";
import { FLINK_EVENTS_PER_SEC_PER_CORE } from "./nexmark/flink.js";
import { GENERAL_DIFFERENCES, MISSING_OPERATORS, QUERY_NOTES } from "./nexmark/notes.js";
import { QUERIES } from "./nexmark/queries.js";
import type { BenchResults, LatencyPoint, ScalingFigures } from "./results.js";
import { latencyChart, type ChartSeries } from "./svg-chart.js";
import type { WindowEmitFigures } from "./window-emit.js";
import type { CatchUpFigures } from "./catch-up.js";
import type { WindowMaxFigures } from "./window-max.js";
import { WORKLOADS, type WorkloadName } from "./workloads.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
export const RESULTS_FILE = path.join(ROOT, "bench/results/latest.json");
const DOC_FILE = path.join(ROOT, "docs/benchmarks.md");
const CHART_FILE = path.join(ROOT, "bench/results/latency.svg");

/** The paper's per-node figures (4 cores, 2012), records/s. */
const PAPER: Record<WorkloadName, { node: number; storm?: number; name: string }> = {
  grep: { node: 640_000, storm: 115_000, name: "Grep" },
  wordcount: { node: 250_000, name: "WordCount" },
  topk: { node: 250_000, name: "TopKCount" },
};

async function writeAtomically(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

export async function writeResults(results: BenchResults): Promise<void> {
  await writeAtomically(RESULTS_FILE, JSON.stringify(results, null, 2) + "\n");
  await writeAtomically(CHART_FILE, latencyChart(`Tributary grep: end-to-end latency against load (${results.mode} run)`, chartSeries(results)));
  await writeAtomically(DOC_FILE, markdown(results));
}

/** One series per batch interval; the 1 s series also takes the grep ramp's steps that kept up. */
export function chartSeries(results: BenchResults): ChartSeries[] {
  const intervals = [...new Set(results.latency.map((p) => p.batchIntervalMs))].sort((a, b) => a - b);
  const ramp = (results.workloads.grep.e2eSteps ?? []).filter((s) => s.sustainable && s.p50Ms !== null && s.p99Ms !== null);
  return intervals.map((interval) => ({
    label: interval >= 1000 ? `${interval / 1000} s batches` : `${interval} ms batches`,
    targetMs: interval + 100,
    points: [
      ...results.latency.filter((p) => p.batchIntervalMs === interval && p.p50Ms !== null && p.p99Ms !== null).map((p) => ({ load: p.achievedRecordsPerSec, p50: p.p50Ms!, p99: p.p99Ms! })),
      ...ramp.filter((s) => s.batchIntervalMs === interval).map((s) => ({ load: s.achievedRecordsPerSec, p50: s.p50Ms!, p99: s.p99Ms! })),
    ],
  }));
}

const num = (n: number | null | undefined, unit = "") => (n === null || n === undefined ? "—" : `${n.toLocaleString("en-US")}${unit}`);
const rate = (n: number | null | undefined) => (n === null || n === undefined ? "—" : n >= 10_000 ? `${Math.round(n / 1000).toLocaleString("en-US")}K` : n.toLocaleString("en-US"));
/** "batches of 50,000 records, 30 s window: 90K vs 160K records/s; map tasks re-run speculatively: 0 vs 1" */
const scalingLine = (f: Partial<ScalingFigures>) =>
  `batches of ${num(f.recordsPerBatch)} records, ${num(f.windowBatches)} s window: ${rate(f.oneWorkerRecordsPerSec)} vs ${rate(f.twoWorkersRecordsPerSec)} records/s; counting the first batch of each turn too: ${num(f.everyBatchRatio)} (a turn's first batch ${(f.firstOfTurnMs ?? []).join(" vs ")} ms, its others ${(f.restOfTurnMs ?? []).join(" vs ")} ms); map tasks re-run speculatively: ${(f.speculativeTasks ?? []).join(" vs ")}`;
const verdict = (met: boolean | null) => (met === null ? "not measured" : met ? "met" : "**missed**");

function latencyRow(p: LatencyPoint): string {
  return `| ${p.batchIntervalMs} ms | ${rate(p.loadRecordsPerSec)} (${Math.round(p.fractionOfPeak * 100)}% of peak) | ${num(p.p50Ms, " ms")} | ${num(p.p99Ms, " ms")} | ${p.batchIntervalMs + 100} ms | ${p.samples} |`;
}

function windowEmitRow(f: WindowEmitFigures | undefined): string {
  const how = `a keyed count over a 300 s window sliding every 1 s, filled with ${num(f?.keys)} distinct words, then slides that each bring ${num(f?.eventsPerSlide)} events on words already in it, each followed by an idle slide (no input, no key leaving); median CPU (user + system) per slide from the cut to the job idle again, in-thread runner, frames stored in the in-memory result log`;
  if (!f || f.ratio === null) return `| window emit: CPU per slide, "all" ÷ "changes" | — | ${how}${f?.reason ? `; not measured: ${f.reason}` : ""} |`;
  return `| window emit: CPU per slide, "all" ÷ "changes" | ${num(f.ratio)} | ${how}: ${num(f.allCpuMsPerSlide)} ms vs ${num(f.changesCpuMsPerSlide)} ms, ${num(f.allRowsPerSlide)} vs ${num(f.changesRowsPerSlide)} rows a frame; idle slide: ${num(f.allIdleCpuMsPerSlide)} ms vs ${num(f.changesIdleCpuMsPerSlide)} ms (no frame); the "changes" frames, applied to a map, give every "all" frame |`;
}

function catchUpRow(f: CatchUpFigures | undefined): string {
  const how = `a running word count registered with \`startFrom: "earliest"\` on a stream already holding ${num(f?.events ?? null)} events (${mib(f?.historyBytes)}, 4 partitions, in-memory store, in-thread runner, 100 ms batches, catch-up batches of ${mib(f?.catchUpBatchBytes)} per partition): history events per second of wall time from registration until \`progress.catchingUp\` is false, in ${num(f?.batches ?? null)} batches (${num(f?.catchUpMs ?? null, " ms")}); its counts checked against a recount of the promised history`;
  if (!f || f.eventsPerSec === null) return `| catch-up: history replayed | — | ${how}${f?.reason ? `; not measured: ${f.reason}` : ""} |`;
  return `| catch-up: history replayed | ${rate(f.eventsPerSec)} events/s | ${how} |`;
}

function windowMaxRow(f: WindowMaxFigures | undefined): string {
  const how = `a keyed max over a 30 s window sliding every 1 s, batches of ${num(f?.eventsPerBatch)} events over ${num(f?.keys)} distinct words (keys enter and leave the window every slide); median CPU (user + system) per slide once the window is full, in-thread runner, frames stored in the in-memory result log`;
  if (!f || f.slidingAllCpuMsPerSlide === null) return `| window max: CPU per slide, emit "all" | — | ${how}${f?.reason ? `; not measured: ${f.reason}` : ""} |`;
  return `| window max: CPU per slide, emit "all" | ${num(f.slidingAllCpuMsPerSlide, " ms")} | ${how}; emit "changes": ${num(f.slidingChangesCpuMsPerSlide, " ms")}; the same max over 10 s tumbling windows: closing batch ${num(f.tumblingClosingCpuMs, " ms")}, other batches ${num(f.tumblingOtherCpuMs, " ms")}; every "all" frame checked against the max per word recomputed over its window, and the "changes" frames, applied to a map, give every "all" frame |`;
}

function machineState(load: MachineLoad | undefined): string {
  if (!load) return "The machine's load was not recorded.";
  const others = load.otherProcessesCores === null ? `1-minute load average ${load.loadAverage1m} at the end` : `other processes kept ${load.otherProcessesCores} of the ${load.cores} cores busy on average (this run: ${load.ownCores})`;
  return `While it ran, ${others}: ${load.busy ? "**the machine was busy** with other work (it is shared), so these figures are lower than on an idle machine" : "the machine was otherwise quiet"}.`;
}

function nexmarkSection(r: BenchResults): string[] {
  const figures = r.nexmark ?? {};
  const ran = QUERIES.filter((q) => figures[q] !== undefined);
  if (ran.length === 0) return [];
  const setup = (r.setup.nexmark ?? {}) as { measuredAt?: string; events?: number; eventsPerBatch?: number; batches?: number; warmupBatches?: number; partitions?: number; machineLoad?: MachineLoad };
  const lines: string[] = [];
  lines.push("## Nexmark");
  lines.push("");
  lines.push(`Measured ${setup.measuredAt ? `on ${setup.measuredAt.slice(0, 16).replace("T", " ")} UTC` : ""} by \`npm run bench -- --only=nexmark\` (or as part of the whole run): ${num(setup.events)} generated Nexmark events (${num(setup.eventsPerBatch)} per 1 s batch, ${num(setup.batches)} batches, the first ${num(setup.warmupBatches)} not measured), ${num(setup.partitions)} partitions. ${machineState(setup.machineLoad)}`);
  lines.push("");
  lines.push("Each query's Tributary job definitions are in `bench/nexmark/queries.ts` (as a client would POST them); its answer over the whole run is compared row for row (as a multiset) with a plain JavaScript recomputation of the query over the same events (`bench/nexmark/reference.ts`); a difference fails the run.");
  lines.push("");
  lines.push("| query | Tributary engine, events/s per core | Flink 1.13, events/s per core (published) | Tributary ÷ Flink | end-to-end over HTTP, events/s per core | answer |");
  lines.push("| --- | ---: | ---: | ---: | ---: | --- |");
  for (const q of ran) {
    const f = figures[q]!;
    const ratio = f.engineEventsPerSecPerCore === null ? "—" : (f.engineEventsPerSecPerCore / f.flinkEventsPerSecPerCore).toPrecision(3);
    const answer = f.answers === "checked" ? `checked (${num(f.answerRows)} rows)` : f.answers.startsWith("wrong") ? `**${f.answers}**` : `${f.answers}${f.reason ? `: ${f.reason}` : ""}`;
    lines.push(`| ${q} | ${rate(f.engineEventsPerSecPerCore)} | ${rate(f.flinkEventsPerSecPerCore ?? FLINK_EVENTS_PER_SEC_PER_CORE[q])} | ${ratio} | ${f.e2eEventsPerSecPerCore === null ? "not measured" : rate(f.e2eEventsPerSecPerCore)} | ${answer} |`);
  }
  lines.push("");
  const e2eReason = ran.map((q) => figures[q]!.e2eReason).find((x) => x !== undefined);
  if (e2eReason) lines.push(`End-to-end over HTTP: ${e2eReason}. It is null in \`bench/results/latest.json\`.`);
  lines.push("");
  lines.push("### How the setup differs from Flink's");
  lines.push("");
  for (const d of GENERAL_DIFFERENCES) lines.push(`- ${d}`);
  lines.push("");
  lines.push("### The queries, and how each job differs from the reference SQL");
  lines.push("");
  for (const q of QUERIES) {
    const n = QUERY_NOTES[q];
    lines.push(`- **${q}** — ${n.title}. Job: ${n.job}. Differences: ${n.differences.join("; ")}.`);
  }
  lines.push("");
  lines.push(`Operators the queries needed and Tributary does not have (each query still runs, with the workaround described above): ${MISSING_OPERATORS.join("; ")}.`);
  lines.push("");
  return lines;
}

function markdown(r: BenchResults): string {
  const lines: string[] = [];
  const cores = r.machine.cpus;
  lines.push("# Benchmarks");
  lines.push("");
  lines.push(`Generated by \`npm run bench${r.mode === "quick" ? " -- --quick" : ""}\` on ${r.startedAt.slice(0, 10)} (${r.mode} run, ${r.durationSec} s) — do not edit by hand; run the benchmark again.`);
  lines.push(`Machine: ${cores} cores (${r.machine.cpuModel}), ${r.machine.memoryGiB} GiB, Node ${r.machine.node}. Raw figures: [bench/results/latest.json](../bench/results/latest.json).`);
  lines.push("");
  lines.push("Everything below is measured side by side in one run on the same generated input: 100-byte text records `{\"text\": ...}` drawn from a seeded Zipf-skewed vocabulary of 20,000 words, about 10% of them containing the grep pattern `ERROR`. **grep** counts the records of each batch that contain the pattern; **wordcount** gives every word's count over a 30 s window sliding every 1 s (incremental); **topk** the 10 most frequent words of that window (ties by word). Every answer of the engine and of the RxJS pipeline is compared with the hand-written loop's; a mismatch fails the run.");
  lines.push("");
  lines.push("## Throughput");
  lines.push("");
  lines.push(`| workload | engine (records/s, ${cores} cores) | baseline loop | engine ÷ baseline | RxJS | engine ÷ RxJS | end-to-end (HTTP -> WebSocket) | paper, per 4-core node | paper, per core | engine per core |`);
  lines.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const w of WORKLOADS) {
    const f = r.workloads[w];
    const paper = PAPER[w];
    const paperCell = `${rate(paper.node)}${paper.storm ? ` (Storm: ${rate(paper.storm)})` : ""}`;
    lines.push(`| ${paper.name} | ${rate(f.engineRecordsPerSec)} | ${rate(f.baselineRecordsPerSec)} | ${num(f.ratioToBaseline)} | ${rate(f.rxjsRecordsPerSec)} | ${num(f.ratioToRxjs)} | ${rate(f.e2eRecordsPerSec)} | ${paperCell} | ${rate(paper.node / 4)} | ${f.engineRecordsPerSec === null ? "—" : rate(Math.round(f.engineRecordsPerSec / cores))} |`);
  }
  lines.push("");
  lines.push(`Engine figures use ${r.workloads.grep.engineRunner ?? "the engine"}, with the events already in the store (in-memory), on a ManualClock, measured after warm-up (grep) or once the window is full (wordcount, topk). The baseline is one thread; the paper's figures are for a 4-core node of 2012 with 1 s batches, so the per-core columns are the fairer comparison.`);
  lines.push("");
  lines.push("## Targets");
  lines.push("");
  lines.push("| figure | value | target | verdict |");
  lines.push("| --- | ---: | ---: | --- |");
  for (const t of r.targets) lines.push(`| ${t.name} | ${num(t.value)} | ${t.target} | ${verdict(t.met)} |`);
  lines.push("");
  lines.push("## Latency against load");
  lines.push("");
  lines.push("From an event's acknowledgement (the 202 of its ingest request) to the arrival, at a WebSocket subscriber, of the first result frame whose batch time is after that acknowledgement (the server promises that an event acknowledged before batch time B is in batch B or an earlier one, so this frame holds the event or comes after the one that does: an upper bound). grep, NDJSON bodies of 1,000 events from concurrent clients; load as a fraction of the grep end-to-end peak.");
  lines.push("");
  lines.push("![latency against load](../bench/results/latency.svg)");
  lines.push("");
  lines.push("| batch interval | load (records/s) | p50 | p99 | target p99 | samples |");
  lines.push("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const p of r.latency) lines.push(latencyRow(p));
  if (r.latency.length === 0) lines.push("| — | — | — | — | — | — |");
  lines.push("");
  lines.push("## Scaling, incremental windows, window emit, recovery, memory");
  lines.push("");
  lines.push("| figure | value | how it is measured |");
  lines.push("| --- | ---: | --- |");
  lines.push(`| scaling: 2 workers ÷ 1 worker | ${num(r.scaling.ratio)} | wordcount through a 1-worker and a 2-worker pool, both up at once and taking turns of ${num(r.scaling.turnBatches)} batches on the same batches (the first batch of a turn, slowed by the other pool's turn just before, not measured), with batches near what one worker handles in a 1 s interval (throughput is what a job sustains)${r.scaling.reason ? `; not measured: ${r.scaling.reason}` : `: ${scalingLine(r.scaling)}${r.scaling.machine ? `; the machine's own ceiling for this map work, on two bare threads against one in the same run: ${num(r.scaling.machine.ratio)}` : ""}${r.scaling.smallBatches ? `; on the throughput runs' small batches, where a batch's fixed work (emitting every word of the window, the shuffle's round trips) weighs more: ${num(r.scaling.smallBatches.ratio)} (${scalingLine(r.scaling.smallBatches)})` : ""}`} |`);
  lines.push(`| incremental window: 300 s ÷ 30 s | ${num(r.incrementalWindow.ratio)} | ${r.incrementalWindow.workload ?? "topk"} (windowed count + top 10, ${r.incrementalWindow.runner ?? "engine"}) mean time per batch over ${num(r.incrementalWindow.measuredBatches)} batches once each window is full; same 1 s slide and batches of ${num(r.incrementalWindow.recordsPerBatch)} records${r.incrementalWindow.reason ? `; not measured: ${r.incrementalWindow.reason}` : `: ${num(r.incrementalWindow.longWindowMsPerBatch)} ms vs ${num(r.incrementalWindow.shortWindowMsPerBatch)} ms (median ratio ${num(r.incrementalWindow.medianRatio)}; batches that only slid: ratio ${num(r.incrementalWindow.slideRatio)}; batches that also checkpointed the window's state: ${num(r.incrementalWindow.longCheckpointBatchMs)} ms vs ${num(r.incrementalWindow.shortCheckpointBatchMs)} ms, as the state is about 10× larger)`} |`);
  lines.push(windowEmitRow(r.windowEmit));
  lines.push(windowMaxRow(r.windowMax));
  lines.push(catchUpRow(r.catchUp));
  lines.push(`| worker killed -> back on schedule | ${num(r.recovery.workerKillMs, " ms")} | a worker thread owning a reduce partition of a 30 s wordcount is crashed 20 ms before a batch boundary, under load, half a checkpoint interval after a checkpoint; time until the job is back on schedule (the first frame whose batch finished before the next was due); frame latency back within twice the normal after ${num(r.recovery.workerKill?.latencyBackToNormalMs as number | null | undefined, " ms")}; partitions rebuilt after ${num(r.recovery.workerKill?.partitionsRebuiltMs as number | null | undefined, " ms")}${r.recovery.workerKill?.reason ? `; ${r.recovery.workerKill.reason}` : ""} |`);
  lines.push(`| server killed -> back on schedule | ${num(r.recovery.serverRestartMs, " ms")} | the real server is SIGKILLed after a checkpoint and restarted on its data directory; time from the kill until a frame with a batch time after the kill arrives on schedule (includes starting the process${r.recovery.serverRestart?.processStartMs === undefined ? "" : `: ${String(r.recovery.serverRestart.processStartMs)} ms`})${r.recovery.serverRestart?.reason ? `; ${r.recovery.serverRestart.reason}` : ""} |`);
  lines.push(restartWithJobsRow(r.serverRestartWithJobs));
  lines.push(`| straggler: slowed worker with speculation ÷ no straggler | ${num(r.stragglers?.ratio)} | wordcount on a 2-worker pool; one worker's map tasks each blocked ${num(r.stragglers?.slowTaskDelayMs)} ms: ${num(r.stragglers?.normalMsPerBatch)} ms per batch with no straggler, ${num(r.stragglers?.slowedMsPerBatch)} ms slowed without speculation, ${num(r.stragglers?.speculatedMsPerBatch)} ms slowed with speculation (${num(r.stragglers?.speculativeTasks)} speculative copies); the paper: 0.55 s, 3.02 s, 1.00 s |`);
  lines.push(`| ingest with Redis ÷ embedded store | ${num(r.ingest?.ratio)} | the real server, once on each store, offered far more NDJSON (bodies of 1,000 events, 4 clients) than it can take: ${rate(r.ingest?.redisRecordsPerSec)} vs ${rate(r.ingest?.embeddedRecordsPerSec)} records/s acknowledged (Redis: a redis-server of the run's own, appendonly, fsync every second) |`);
  lines.push(`| peak RSS per million keys in window state | ${r.memory.rssBytesPerMillionKeys === null ? "—" : `${Math.round(r.memory.rssBytesPerMillionKeys / 1_048_576)} MiB`} | a fresh process puts ${num(r.memory.keys)} distinct words into a topk job's 30 s window (in-thread runner, in-memory store); peak RSS minus RSS before the first event, per 10⁶ keys${r.memory.reason ? `; not measured: ${r.memory.reason}` : ""} |`);
  lines.push(`| bytes per key in window state | ${num(r.memory.bytesPerWindowKey ?? null)} | the same run: what deleting the job frees of the live heap and array buffers (after a full collection), ${mib(r.memory.stateBytes)} for ${num(r.memory.stateKeys)} keys, per key (its input stays stored)${r.memory.reason ? `; not measured: ${r.memory.reason}` : ""} |`);
  lines.push(`| RSS after deleting ${num(r.memory.deletedJobs?.jobs)} jobs | ${mib(r.memory.rssAfterDeletingJobsBytes)} | a fresh process with the worker pool (2 workers) and one job that stays; ${num(r.memory.deletedJobs?.jobs)} windowed word counts (30 s / 1 s) added on the same stream, fed 1,100 records/s for ${num(r.memory.deletedJobs?.batches)} s, then deleted: RSS ${mib(r.memory.deletedJobs?.rssWithOneJobBytes)} with one job, ${mib(r.memory.deletedJobs?.rssWithJobsBytes)} with all, ${mib(r.memory.rssAfterDeletingJobsBytes)} once deleted and the threads' heaps are back (workers' heaps ${mib(r.memory.deletedJobs?.workerHeapBytes.withOneJob)}, ${mib(r.memory.deletedJobs?.workerHeapBytes.withJobs)}, ${mib(r.memory.deletedJobs?.workerHeapBytes.afterDeleting)}) |`);
  lines.push("");
  lines.push(...manyJobsSection(r.manyJobs, r.fastBatches, cores));
  lines.push(...clusterSection(r.cluster, cores));
  lines.push("## End-to-end ramps");
  lines.push("");
  lines.push("A fresh stream and job per step; events pushed as NDJSON bodies of 1,000 by concurrent keep-alive clients at an offered rate; the job's `progress` polled over HTTP. A step is sustainable when at least 90% of the offered rate was acknowledged, no batch took longer than the batch interval to process, and the scheduling delay (or the backlog of pending batches) did not grow between the two halves of the step nor reach half an interval. Each step starts a fresh job, so a 30 s window is not yet full during a step: the windowed end-to-end figures are for a filling window, while the in-process engine figures above are for a full one. The answer after the last acknowledged event is checked against the baseline's count of exactly the acknowledged events.");
  lines.push("");
  lines.push("| workload | offered | achieved | sustainable | delay 1st / 2nd half | longest batch | p50 | p99 | answers |");
  lines.push("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- |");
  for (const w of WORKLOADS) {
    for (const s of r.workloads[w].e2eSteps ?? []) {
      lines.push(`| ${w} | ${rate(s.offeredRecordsPerSec)} | ${rate(s.achievedRecordsPerSec)} | ${s.sustainable ? "yes" : `no: ${s.why ?? ""}`} | ${s.schedulingDelayMs.firstHalf} / ${s.schedulingDelayMs.secondHalf} ms | ${num(s.maxProcessingMs, " ms")} | ${num(s.p50Ms, " ms")} | ${num(s.p99Ms, " ms")} | ${s.answers} |`);
    }
    if (r.workloads[w].e2eReason) lines.push(`| ${w} | — | — | not measured: ${r.workloads[w].e2eReason} | | | | | |`);
  }
  lines.push("");
  lines.push(...nexmarkSection(r));
  if (r.failures.length > 0 || r.notes.length > 0) {
    lines.push("## Failures and notes");
    lines.push("");
    for (const f of r.failures) lines.push(`- **wrong answer**: ${f}`);
    for (const n of r.notes) lines.push(`- ${n}`);
    lines.push("");
  }
  lines.push("## Running it");
  lines.push("");
  lines.push("`npm run bench` (full, under 10 minutes) or `npm run bench -- --quick` (smaller sizes, under 3 minutes) builds the server and the harness, runs everything above on this machine, writes `bench/results/latest.json` and `bench/results/latency.svg`, and regenerates this page. It exits non-zero if any answer was wrong. `npm run bench -- --only=nexmark` (add `--quick` for 20 batches instead of 30, `--nexmark=q5,q7` for some queries) runs only the Nexmark section, in about two minutes (the whole run takes that much longer for it), and puts its figures into the previous results (any section can be named, with dashes for spaces: `throughput`, `window-emit`, `memory`, ...). The harness lives in `bench/`, one file per job; the worker pool is created only in `bench/runners.ts`.");
  lines.push("");
  return lines.join("\n");
}

/** Bytes as MiB, or a dash when not measured. */
function mib(bytes: number | null | undefined): string {
  return bytes === null || bytes === undefined ? "—" : `${Math.round(bytes / 1_048_576)} MiB`;
}

/** The restart of a server with 100 jobs (restart-many-jobs.ts), as one row of the recovery table. */
function restartWithJobsRow(f: BenchResults["serverRestartWithJobs"]): string {
  if (!f) return "| server restart with 100 jobs -> every job back on schedule | — | not measured yet (`npm run bench -- --only=server-restart`) |";
  const ms = (v: number | null) => num(v, " ms");
  return `| server restart with ${f.jobs} jobs -> every job back on schedule | ${ms(f.allOnScheduleMs)} | ${f.jobs} jobs of the examples (20 each of the 30 s wordcount, running totals, top words, grep, spam filter; 1 s batches, checkpoints every ${num(f.checkpointIntervalMs)} ms) fed events until each checkpointed and ran 2.5 s more, then the server is SIGKILLed and started again while events keep coming; from the new process's spawn: /healthz answers after ${ms(f.healthzMs)}, the first ingest is acknowledged after ${ms(f.firstIngestMs)}, each job logs "job recovered" after ${ms(f.recoveredMedianMs)} (median, max ${ms(f.recoveredMaxMs)}), and finishes its first batch cut after the spawn after ${ms(f.onScheduleMedianMs)} (median, max ${ms(f.onScheduleMaxMs)}); ${num(f.fromCheckpoint)} jobs recovered from a checkpoint and replayed ${num(f.batchesReplayed)} batches in all; every job's events processed against the ${num(f.eventsAcknowledged)} acknowledged: ${f.answers}${f.reason ? `; ${f.reason}` : ""} |`;
}
