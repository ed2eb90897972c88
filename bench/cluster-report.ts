/** The "Cluster" part of docs/benchmarks.md: a node killed, and 30 jobs on 3 nodes against 1. */
import type { ClusterFailoverFigures } from "./cluster-failover.js";
import type { ClusterJobsFigures, ClusterJobsRun } from "./cluster-jobs.js";

const num = (n: number | null | undefined, unit = "") => (n === null || n === undefined ? "—" : `${n.toLocaleString("en-US")}${unit}`);

function failoverLines(f: ClusterFailoverFigures | undefined): string[] {
  if (!f) return [];
  const s = f.setup;
  const lines = [
    "### Node killed -> its jobs back on schedule on a survivor",
    "",
    `${s.nodes} nodes (\`WORKERS=${s.workersPerNode}\` each, \`STANDBY_WORKERS=0\`) share one redis-server of the run's own (appendonly, fsync always) and run ${s.jobs} topk jobs (the 10 most frequent words of a 30 s window sliding every 1 s, ${s.batchIntervalMs / 1000} s batches, \`CHECKPOINT_INTERVAL_MS=${s.checkpointIntervalMs}\`), ${s.jobs / s.nodes} on each, under a steady ingest of ${num(s.recordsPerSec)} records/s (a body of ${s.eventsPerBody} every ${s.ingestEveryMs} ms, through the live nodes in turn). One node is SIGKILLed at a random moment of the checkpoint cycle, with every job it held followed by a WebSocket subscriber on each survivor. **Back on schedule**: the first result frame of the job whose batch time is after the kill and that arrived within one batch interval of its batch time (its batch ran on its tick on the new holder and its result was stored before the next batch was due; the batches replayed or caught up late do not count), taking each frame at its earliest arrival over the two survivors (the new holder's own delivery); the figure is that arrival minus the moment of the kill, so it includes the lease running out, the claim, the rebuild from the last checkpoint and the recorded batches, catching up the batches due meanwhile, and up to one batch interval of waiting for the next tick. **Claimed**: the kill until \`GET /v1/cluster\` names a survivor as the job's holder (polled every 50 ms). The killed node is started again under its \`NODE_ID\` and the jobs spread evenly again before the next kill; a job not back within ${num(s.giveUpMs / 1000)} s counts as ${num(s.giveUpMs / 1000)} s. Every job's frames on the survivors are checked to carry consecutive seqs across the kill, and every job of the killed node must be running again afterwards. Before each kill the bench waits (up to 60 s) until the last three frames of each of the node's jobs arrived within an interval of their batch time; a kill made while they were not (the machine too busy to keep the cluster on schedule at all) is listed but not counted in the figures.`,
    "",
    "| `LEASE_TTL_MS` | kills (not counted) | jobs moved | back on schedule: median | max | claimed: median | max | not back in time |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...f.byLeaseTtl.map((t) => `| ${t.leaseTtlMs} | ${t.kills} (${t.killsBehindBefore ?? 0}) | ${t.jobsRecovered} | ${num(t.medianMs, " ms")} | ${num(t.maxMs, " ms")} | ${num(t.medianClaimedMs, " ms")} | ${num(t.maxClaimedMs, " ms")} | ${t.late} |`),
    "",
    "Each kill: " + f.rounds.map((r) => `${r.victim} at lease ${r.leaseTtlMs} ms${r.onScheduleBeforeKill === false ? " (**not counted**: its jobs were behind before the kill, frames up to " + num(r.lagBeforeKillMs) + " ms late)" : ""}${r.loadAverage1m === undefined ? "" : ` (load average ${r.loadAverage1m})`}, back after ${r.jobs.map((j) => num(j.backOnScheduleMs)).join(", ")} ms, claimed after ${r.jobs.map((j) => num(j.claimedMs)).join(", ")} ms${(r.failed ?? []).map((x) => `; **${x.job} ${x.status}**: ${x.failure ?? "no failure given"}`).join("")}`).join("; ") + ".",
    "",
  ];
  if (f.reason) lines.push(`Not measured: ${f.reason}`, "");
  return lines;
}

const runCell = (r: ClusterJobsRun | null) => (r === null ? "—" : `${num(r.sustainedRecordsPerSec)} records/s`);

function jobsLines(f: ClusterJobsFigures | undefined, cores: number): string[] {
  if (!f) return [];
  const s = f.setup;
  const steps = [f.oneNode, f.threeNodes].flatMap((r) => (r === null ? [] : r.steps.map((step) => `| ${r.nodes} × ${r.workersPerNode} | ${num(step.offeredRecordsPerSec)} | ${num(step.achievedRecordsPerSec)} | ${step.sustained ? "yes" : `no: ${step.why ?? ""}`} | ${num(step.worstLagMs, " ms")} | ${num(step.jobsMoved)} | ${num(step.loadAverage1m)} |`)));
  return [
    "### Many jobs: 3 nodes against 1",
    "",
    `${s.jobs} topk jobs (the 10 most frequent words of a ${s.windowSec} s window sliding every 1 s, ${s.batchIntervalMs / 1000} s batches) on one 4-partition stream, on 3 nodes × 1 worker and on 1 node × 1 worker, each on a redis-server of its own (appendonly, fsync always). The offered rate is searched: from ${num(s.search.startRate)} records/s (three nodes: from what one node sustained), ×${s.search.factor} until a step fails, then ${s.search.bisections} bisection(s); each step pushes ${s.eventsPerBody}-record NDJSON bodies for ${s.stepMs / 1000} s, spread evenly over the nodes. The figure is the acknowledged rate of the best step that held. A step holds when at least 90% of the offered records were acknowledged and **every job kept its schedule** over the second half of the step: a frame for every batch due (one may be missing at an edge), each arriving at a subscriber on the job's own node within one batch interval of its batch time. The jobs stay registered across steps, and every job catches up before the next step.`,
    "",
    `| | 1 node × 1 worker | 3 nodes × 1 worker | 3 ÷ 1 |`,
    "| --- | ---: | ---: | ---: |",
    `| sustained ingest, every job on schedule | ${runCell(f.oneNode)} | ${runCell(f.threeNodes)} | ${num(f.ratio)} |`,
    "",
    `This machine has ${cores} cores, shared by the nodes, Redis and the load generator (and, here, other engineers' work): three nodes do not bring more cores than one node with one worker could use beside its main thread, so the ratio is bounded by the cores, not by the cluster; on three machines each node would bring its own.`,
    "",
    "| nodes × workers | offered | achieved | held | longest frame lag | jobs that changed node | load average |",
    "| --- | ---: | ---: | --- | ---: | ---: | ---: |",
    ...steps,
    "",
    ...(f.reason ? [`Not measured: ${f.reason}`, ""] : []),
  ];
}

export function clusterSection(cluster: { failover?: ClusterFailoverFigures; jobs?: ClusterJobsFigures } | undefined, cores = 2): string[] {
  if (!cluster || (!cluster.failover && !cluster.jobs)) return [];
  return ["## Cluster", "", "`npm run bench -- --only=cluster` (see docs/cluster.md for the design).", "", ...failoverLines(cluster.failover), ...jobsLines(cluster.jobs, cores)];
}
