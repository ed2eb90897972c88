/** The "Many jobs" part of docs/benchmarks.md: one row per step of many-jobs.ts. */
import type { FastBatchesFigures, ManyJobsRow } from "./many-jobs.js";

const num = (n: number | null | undefined, unit = "") => (n === null || n === undefined ? "—" : `${n.toLocaleString("en-US")}${unit}`);

function row(r: ManyJobsRow): string {
  const others = r.load.otherProcessesCores === null ? `load ${r.load.loadAverage1m}` : `${r.load.otherProcessesCores}`;
  const figures = r.reason ? `not measured: ${r.reason}` : `${r.batches} batches started, ${r.jobsBehind} of ${r.jobs} job(s) behind at the end`;
  return `| ${r.jobs} | ${r.recordsPerSec === 0 ? "none" : r.recordsPerSec.toLocaleString("en-US")} | ${r.batchIntervalMs} ms | ${r.emit} | ${num(r.cpuMicrosPerEventPerJob, " µs")} | ${num(r.p99SchedulingDelayMs, " ms")} | ${num(r.cores)} | ${num(r.mainThreadBusy)} | ${others} | ${num(r.peakRssMiB, " MiB")} | ${figures} |`;
}

/**
 * For each emit mode, from the row with the most jobs that all kept up: how many such jobs `cores`
 * cores could carry at that row's CPU per event per job, if they did nothing else.
 */
export function capacityLines(manyJobs: readonly ManyJobsRow[], cores: number): string[] {
  const lines: string[] = [];
  for (const emit of ["all", "changes"] as const) {
    const kept = manyJobs.filter((r) => r.emit === emit && r.recordsPerSec > 0 && r.jobsBehind === 0 && r.cpuMicrosPerEventPerJob !== null).sort((a, b) => b.jobs - a.jobs)[0];
    if (!kept) continue;
    const jobs = Math.floor((cores * 1e6) / (kept.recordsPerSec * kept.cpuMicrosPerEventPerJob!));
    lines.push(`- emit \`${emit}\`: at ${kept.cpuMicrosPerEventPerJob} µs per event per job (the ${kept.jobs}-job row, all on schedule), ${cores} cores carry at most about ${jobs} such jobs at ${kept.recordsPerSec.toLocaleString("en-US")} records/s, doing nothing else.`);
  }
  return lines;
}

export function manyJobsSection(manyJobs: readonly ManyJobsRow[] | undefined, fastBatches: FastBatchesFigures | undefined, cores = 2): string[] {
  const rows = [...(manyJobs ?? []), ...(fastBatches?.runs ?? [])];
  if (rows.length === 0) return [];
  const capacity = capacityLines(manyJobs ?? [], cores);
  return [
    "## Many jobs, fast batches",
    "",
    "Identical windowed wordcount jobs (30 s window sliding every 1 s) on one 4-partition stream of the 100-byte records, 1,100 records/s in total, as a user gets them: the engine on the wall clock with a 2-worker pool and the in-memory store, one fresh engine per row. Each row warms up, then is measured for a fixed time: **CPU per event per job** is the CPU the whole process used (user + system; `process.cpuUsage` counts the worker threads too) over the events ingested and the jobs; **p99 scheduling delay** is over every batch that started in the measured part (how late it started after its batch time, as the engine sets `tributary_scheduling_delay_seconds`), plus, for a job still behind at the end, the age of its oldest batch not done. Main thread: the share of the measured time its event loop was busy. A row shorter than the window fills it and no batch leaves it, so with emit `changes` a slide sends the keys of the entering batch only. The row with no input: the same jobs on a stream nobody writes to, so every batch is empty (what a batch costs by itself: timer, cut, descriptor, one reduce task per partition on the workers). The fast-batches rows: 20 such jobs with 100 ms batches (the window still sliding every 1 s). A job that falls behind does less work than it is given, so its CPU per event per job is then a lower bound.",
    "",
    "| jobs | records/s | batch | emit | CPU per event per job | p99 scheduling delay | cores used | main thread busy | other processes (cores) | peak RSS | |",
    "| ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...rows.map(row),
    "",
    ...(capacity.length > 0 ? ["What the CPU per event per job means for capacity:", "", ...capacity, ""] : []),
  ];
}
