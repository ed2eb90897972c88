/**
 * Node killed -> each of its jobs back on schedule on a survivor. Three nodes (1 worker each) on one
 * Redis run 12 topk jobs (the 10 most frequent words of a 30 s window sliding every 1 s, 1 s batches,
 * checkpoints every 10 s) under a steady ingest through the live nodes. A node is SIGKILLed at a random
 * moment of the checkpoint cycle; every job it held is followed by a WebSocket subscriber on each
 * survivor. A job is back on schedule at the first frame of a batch cut after the kill that arrived
 * within one batch interval of its batch time (earliest arrival over both survivors, so that what is
 * measured is the new holder's delivery, not another node's following of the result log); the figure
 * is that arrival minus the kill. The killed node is started again (same NODE_ID) and the cluster
 * rebalanced before the next kill; each lease TTL gets its own cluster.
 */
import os from "node:os";
import { BenchCluster, smallBodies, steadyIngest, type ClusterView } from "./cluster-nodes.js";
import { backOnSchedule, earliestArrivals, seqBreak } from "./cluster-schedule.js";
import { LiveResults } from "./live-results.js";
import { median, sleep } from "./stats.js";
import { jobDefinition } from "./workloads.js";

export interface ClusterFailoverOptions {
  readonly leaseTtlsMs: readonly number[];
  readonly killsPerTtl: number;
  readonly jobs: number;
  readonly checkpointIntervalMs: number;
  /** Ingest: one body of `eventsPerBody` records every `ingestEveryMs`. */
  readonly eventsPerBody: number;
  readonly ingestEveryMs: number;
  /** Longest wait for a job to be back on schedule before it is given up on (then it counts as this). */
  readonly giveUpMs: number;
}

export interface JobFailover {
  readonly job: string;
  /** Kill -> GET /v1/cluster names a survivor as its holder. */
  readonly claimedMs: number | null;
  /** Kill -> its first on-schedule frame (see above); null when it did not come within giveUpMs. */
  readonly backOnScheduleMs: number | null;
  /** Its first frames with a batch time after the kill: [batch time, arrival], both ms after the kill. */
  readonly framesAfterKill: (readonly [number, number])[];
}

export interface KillRound {
  readonly leaseTtlMs: number;
  readonly victim: string;
  /** Ms since the cluster was last rebalanced (a handover checkpoints each moved job), a proxy for the checkpoint's age. */
  readonly killedAfterBalanceMs: number;
  /** The machine's 1-minute load average at the kill (the cluster's own processes and everyone else's). */
  readonly loadAverage1m: number;
  readonly jobs: JobFailover[];
  /** Whether the killed node's jobs were on schedule before the kill (within 60 s of trying); only such kills are in the figures. */
  readonly onScheduleBeforeKill: boolean;
  /** Longest lag (arrival - batch time) of the killed node's jobs' frames just before the kill, ms: how the cluster kept up then. */
  readonly lagBeforeKillMs: number | null;
  /** Jobs of the killed node that were not running on a survivor at the end (failed, say), with the job's failure. */
  readonly failed?: { readonly job: string; readonly status: string; readonly failure: string | null }[];
  /** When a job was not claimed in time: the live nodes and the holders of the killed node's jobs then. */
  readonly unclaimed?: { readonly nodes: ClusterView["nodes"]; readonly holders: ClusterView["jobs"] };
}

export interface TtlFigures {
  readonly leaseTtlMs: number;
  /** Kills counted: those with the killed node's jobs on schedule before. */
  readonly kills: number;
  /** Kills not counted: the killed node's jobs were not on schedule before it (the machine too busy). */
  readonly killsBehindBefore: number;
  readonly jobsRecovered: number;
  readonly medianMs: number | null;
  readonly maxMs: number | null;
  readonly medianClaimedMs: number | null;
  readonly maxClaimedMs: number | null;
  /** Jobs that were not back on schedule within giveUpMs. */
  readonly late: number;
}

export interface ClusterFailoverFigures {
  readonly byLeaseTtl: TtlFigures[];
  readonly rounds: KillRound[];
  readonly setup: Omit<ClusterFailoverOptions, "leaseTtlsMs" | "killsPerTtl"> & { readonly nodes: number; readonly workersPerNode: number; readonly batchIntervalMs: number; readonly recordsPerSec: number };
  readonly reason?: string;
}

const BATCH_MS = 1000;
const NODES = 3;

export async function measureClusterFailover(options: ClusterFailoverOptions, vocabulary: readonly string[], failures: string[], log: (m: string) => void): Promise<ClusterFailoverFigures> {
  const rounds: KillRound[] = [];
  const byLeaseTtl: TtlFigures[] = [];
  const reasons: string[] = [];
  for (const ttl of options.leaseTtlsMs) {
    const ttlRounds: KillRound[] = [];
    await killRounds(ttl, options, vocabulary, failures, log, ttlRounds).catch((error: Error) => reasons.push(`lease TTL ${ttl} ms: ${error.message.slice(0, 2_000)}`));
    rounds.push(...ttlRounds);
    const counted = ttlRounds.filter((r) => r.onScheduleBeforeKill);
    const jobs = counted.flatMap((r) => r.jobs);
    const back = jobs.map((j) => j.backOnScheduleMs ?? options.giveUpMs);
    const claimed = jobs.flatMap((j) => (j.claimedMs === null ? [] : [j.claimedMs]));
    byLeaseTtl.push({
      leaseTtlMs: ttl,
      kills: counted.length,
      killsBehindBefore: ttlRounds.length - counted.length,
      jobsRecovered: jobs.length,
      medianMs: back.length > 0 ? median(back) : null,
      maxMs: back.length > 0 ? Math.max(...back) : null,
      medianClaimedMs: claimed.length > 0 ? median(claimed) : null,
      maxClaimedMs: claimed.length > 0 ? Math.max(...claimed) : null,
      late: jobs.filter((j) => j.backOnScheduleMs === null).length,
    });
  }
  const { leaseTtlsMs: _t, killsPerTtl: _k, ...rest } = options;
  return { byLeaseTtl, rounds, ...(reasons.length > 0 ? { reason: reasons.join("; ") } : {}), setup: { ...rest, nodes: NODES, workersPerNode: 1, batchIntervalMs: BATCH_MS, recordsPerSec: Math.round((options.eventsPerBody * 1000) / options.ingestEveryMs) } };
}

/** Kills a node `killsPerTtl` times; each round's figures go into `rounds` as it ends (kept if a later round breaks off). */
async function killRounds(leaseTtlMs: number, options: ClusterFailoverOptions, vocabulary: readonly string[], failures: string[], log: (m: string) => void, rounds: KillRound[]): Promise<void> {
  const cluster = await BenchCluster.start(NODES, { WORKERS: "1", STANDBY_WORKERS: "0", CHECKPOINT_INTERVAL_MS: String(options.checkpointIntervalMs), LEASE_TTL_MS: String(leaseTtlMs) });
  const names = Array.from({ length: options.jobs }, (_, i) => `failover-${i + 1}`);
  const first = cluster.nodes[0]!.server;
  await first.requestOk("POST", "/v1/streams", { name: "records", partitions: 4 });
  for (const name of names) await first.requestOk("POST", "/v1/jobs", jobDefinition("topk", { id: name, input: "records", batchIntervalMs: BATCH_MS, windowBatches: 30 }));
  const ingest = steadyIngest(cluster, "records", smallBodies(50, options.eventsPerBody, vocabulary), options.ingestEveryMs);
  try {
    for (let k = 0; k < options.killsPerTtl; k++) {
      const victim = cluster.nodes[k % NODES]!;
      const balanced = await cluster.balanced(options.jobs, 90_000);
      // (A job that failed is held by no node, so the cluster never balances: the round says which, above.)
      if (!balanced) throw new Error(`the ${NODES} nodes did not spread the ${options.jobs} jobs evenly within 90 s: ${JSON.stringify(await cluster.view().catch(() => null))}`);
      const balancedAt = Date.now();
      // The first kill comes after a whole checkpoint interval (every job has one), every kill at a
      // random moment of the checkpoint cycle after that.
      await sleep((k === 0 ? options.checkpointIntervalMs : 2_000) + Math.random() * options.checkpointIntervalMs);
      const held = (await cluster.view()).jobs.filter((j) => j.node === victim.id).map((j) => j.id);
      const survivors = cluster.nodes.filter((n) => n !== victim);
      const subscribers = await Promise.all(held.map((job) => Promise.all(survivors.map((s) => LiveResults.open(s.server.wsUrl, job)))));
      try {
        // The killed node's jobs are on schedule before the kill: each one's last 3 frames arrived
        // within an interval of their batch time (on a machine kept busy by others they may not get there).
        const onSchedule = () => subscribers.every((views) => {
          const last = earliestArrivals(views.map((v) => v.frames)).slice(-3);
          return last.length === 3 && last.every((f) => f.arrivedAt - f.batchTime <= BATCH_MS);
        });
        const ready = Date.now() + 60_000;
        while (!onSchedule() && Date.now() < ready) await sleep(100);
        const onScheduleBeforeKill = onSchedule();
        victim.up = false;
        const loadAverage1m = Math.round(os.loadavg()[0]! * 10) / 10;
        const killedAt = Date.now();
        await victim.server.kill("SIGKILL");
        const claimedAt = new Map<string, number>();
        const deadline = killedAt + options.giveUpMs;
        const backOf = (i: number) => backOnSchedule(earliestArrivals(subscribers[i]!.map((v) => v.frames)), killedAt, BATCH_MS);
        while (Date.now() < deadline && held.some((_, i) => backOf(i) === undefined || !claimedAt.has(held[i]!))) {
          const view = await cluster.view().catch(() => undefined);
          const now = Date.now();
          for (const j of view?.jobs ?? []) if (held.includes(j.id) && j.node !== null && j.node !== victim.id && !claimedAt.has(j.id)) claimedAt.set(j.id, now);
          await sleep(50);
        }
        const jobs = held.map((job, i): JobFailover => {
          const frames = earliestArrivals(subscribers[i]!.map((v) => v.frames));
          const broken = seqBreak(frames);
          if (broken !== undefined) failures.push(`cluster node killed: ${job}'s frames on the survivors skip or repeat a seq at ${broken} (lease TTL ${leaseTtlMs} ms)`);
          const back = backOf(i);
          const claimed = claimedAt.get(job);
          const framesAfterKill = frames.filter((f) => f.batchTime > killedAt).slice(0, 15).map((f) => [f.batchTime - killedAt, f.arrivedAt - killedAt] as const);
          return { job, claimedMs: claimed === undefined ? null : claimed - killedAt, backOnScheduleMs: back ? back.arrivedAt - killedAt : null, framesAfterKill };
        });
        const before = subscribers.flatMap((views) => earliestArrivals(views.map((v) => v.frames)).filter((f) => f.batchTime <= killedAt).map((f) => f.arrivedAt - f.batchTime));
        const lagBeforeKillMs = before.length > 0 ? Math.max(...before) : null;
        const statuses = await Promise.all(held.map((job) => survivors[0]!.server.requestOk<{ status: string; failure?: string | null }>("GET", `/v1/jobs/${job}`).catch((error: Error) => ({ status: "unknown", failure: error.message }))));
        const failed = held.flatMap((job, i) => (statuses[i]!.status === "running" ? [] : [{ job, status: statuses[i]!.status, failure: statuses[i]!.failure ?? null }]));
        for (const f of failed) failures.push(`cluster node killed: ${f.job} was ${f.status} after ${victim.id} was killed (lease TTL ${leaseTtlMs} ms): ${f.failure ?? "no failure given"}`);
        const unclaimedView = held.every((j) => claimedAt.has(j)) ? undefined : await cluster.view().catch(() => undefined);
        const unclaimed = unclaimedView ? { nodes: unclaimedView.nodes, holders: unclaimedView.jobs.filter((j) => held.includes(j.id)) } : undefined;
        rounds.push({ leaseTtlMs, victim: victim.id, killedAfterBalanceMs: killedAt - balancedAt, loadAverage1m, lagBeforeKillMs, onScheduleBeforeKill, jobs, ...(failed.length > 0 ? { failed } : {}), ...(unclaimed ? { unclaimed } : {}) });
        log(`cluster: lease ${leaseTtlMs} ms, ${victim.id} killed, its ${held.length} jobs back on schedule after ${jobs.map((j) => j.backOnScheduleMs ?? "—").join(", ")} ms (claimed after ${jobs.map((j) => j.claimedMs ?? "—").join(", ")} ms; load average ${loadAverage1m}; frame lag before the kill ${lagBeforeKillMs ?? "—"} ms)`);
      } finally {
        for (const views of subscribers) for (const v of views) v.close();
      }
      await victim.server.launch();
      victim.up = true;
    }
  } finally {
    await ingest.stop();
    await cluster.dispose();
  }
}
