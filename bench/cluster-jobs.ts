/**
 * Many jobs on a cluster: 30 topk jobs (the 10 most frequent words of a 10 s window sliding every
 * 1 s, 1 s batches) on one 4-partition stream, on 3 nodes with 1 worker each against 1 node with 1
 * worker, each on a redis-server of its own (appendonly, fsync always). The offered rate is searched
 * step by step (grown by a factor until a step fails, then bisected); a step holds when at least 90%
 * of the offered records were acknowledged (the load spread evenly over the nodes) and every job kept
 * its schedule over the second half of the step: a frame for every batch due (one may be missing),
 * each arriving at a subscriber on the job's node within one batch interval of its batch time. The
 * jobs stay registered across steps; between steps every job catches up (a frame cut after the step
 * ended) before the next begins. On a 2-core machine three nodes share the same two cores as one node
 * (and the load generator and Redis), so the ratio is bounded by the cores, not by the cluster.
 */
import os from "node:os";
import { BenchCluster, smallBodies } from "./cluster-nodes.js";
import { highestSustainedRate, keptSchedule, type RateSearch } from "./cluster-schedule.js";
import { pushAtRate } from "./http-load.js";
import { LiveResults } from "./live-results.js";
import { sleep } from "./stats.js";
import { jobDefinition } from "./workloads.js";

export interface ClusterJobsOptions {
  readonly jobs: number;
  readonly stepMs: number;
  /** How long the jobs get to catch up after a step before the next begins. */
  readonly drainMs: number;
  readonly eventsPerBody: number;
  readonly search: RateSearch;
}

export interface ClusterJobsStep {
  readonly offeredRecordsPerSec: number;
  readonly achievedRecordsPerSec: number;
  readonly sustained: boolean;
  /** Jobs that did not keep their schedule in the step's second half. */
  readonly jobsBehind: number;
  /** Jobs whose lease epoch moved during the step (handed over or claimed anew: they changed node). */
  readonly jobsMoved: number;
  /** Longest frame lag (arrival - batch time) over every job in the judged half, ms. */
  readonly worstLagMs: number | null;
  /** The machine's 1-minute load average at the step's end (the cluster's own processes and everyone else's). */
  readonly loadAverage1m: number;
  readonly why?: string;
}

export interface ClusterJobsRun {
  readonly nodes: number;
  readonly workersPerNode: number;
  /** Highest acknowledged rate of a step that held (records/s), or null when none did. */
  readonly sustainedRecordsPerSec: number | null;
  readonly steps: ClusterJobsStep[];
}

export interface ClusterJobsFigures {
  readonly oneNode: ClusterJobsRun | null;
  readonly threeNodes: ClusterJobsRun | null;
  /** Three nodes ÷ one node. */
  readonly ratio: number | null;
  readonly setup: ClusterJobsOptions & { readonly batchIntervalMs: number; readonly windowSec: number };
  readonly reason?: string;
}

const BATCH_MS = 1000;
const WINDOW_BATCHES = 10;

export async function measureClusterJobs(options: ClusterJobsOptions, vocabulary: readonly string[], log: (m: string) => void): Promise<ClusterJobsFigures> {
  const oneNode = await searchOn(1, options, options.search, vocabulary, log);
  // Three nodes start where one node topped out, so that the search needs few steps.
  const start = oneNode.sustainedRecordsPerSec ?? options.search.startRate;
  const threeNodes = await searchOn(3, options, { ...options.search, startRate: start }, vocabulary, log);
  const ratio = oneNode.sustainedRecordsPerSec && threeNodes.sustainedRecordsPerSec ? Math.round((threeNodes.sustainedRecordsPerSec / oneNode.sustainedRecordsPerSec) * 100) / 100 : null;
  return { oneNode, threeNodes, ratio, setup: { ...options, batchIntervalMs: BATCH_MS, windowSec: (WINDOW_BATCHES * BATCH_MS) / 1000 } };
}

async function searchOn(count: number, options: ClusterJobsOptions, search: RateSearch, vocabulary: readonly string[], log: (m: string) => void): Promise<ClusterJobsRun> {
  const cluster = await BenchCluster.start(count, { WORKERS: "1", STANDBY_WORKERS: "0" });
  const subscribers: LiveResults[] = [];
  const steps: ClusterJobsStep[] = [];
  try {
    const first = cluster.nodes[0]!.server;
    await first.requestOk("POST", "/v1/streams", { name: "records", partitions: 4 });
    const names = Array.from({ length: options.jobs }, (_, i) => `many-${i + 1}`);
    for (const name of names) await first.requestOk("POST", "/v1/jobs", jobDefinition("topk", { id: name, input: "records", batchIntervalMs: BATCH_MS, windowBatches: WINDOW_BATCHES }));
    const view = await cluster.balanced(options.jobs, 90_000);
    if (!view) throw new Error(`the ${count} node(s) did not spread the ${options.jobs} jobs evenly within 90 s`);
    // Each job followed on the node that runs it.
    for (const name of names) {
      const holder = cluster.nodes.find((n) => n.id === view.jobs.find((j) => j.id === name)?.node) ?? cluster.nodes[0]!;
      subscribers.push(await LiveResults.open(holder.server.wsUrl, name));
    }
    const bodies = smallBodies(50, options.eventsPerBody, vocabulary);
    const epochs = async () => new Map((await cluster.view()).jobs.map((j) => [j.id, j.epoch]));
    await highestSustainedRate(search, async (rate) => {
      const before = await epochs();
      const loads = await Promise.all(cluster.nodes.map((n) => pushAtRate({ url: n.server.url, stream: "records", bodies, recordsPerBody: options.eventsPerBody, offeredRecordsPerSec: rate / count, durationMs: options.stepMs, clients: 2 })));
      const from = Math.min(...loads.map((l) => l.startedAt));
      const to = Math.max(...loads.map((l) => l.endedAt));
      const achieved = loads.reduce((n, l) => n + l.achievedRecordsPerSec, 0);
      // A frame due at the step's end has one interval to arrive on schedule.
      await sleep(to + 2 * BATCH_MS - Date.now());
      const after = await epochs();
      const jobsMoved = [...after].filter(([id, epoch]) => before.get(id) !== epoch).length;
      const verdicts = subscribers.map((s) => keptSchedule(s.frames, from, to, BATCH_MS));
      const behind = verdicts.filter((v) => !v.onSchedule);
      const lags = verdicts.flatMap((v) => (v.maxLagMs === null ? [] : [v.maxLagMs]));
      const keptUp = achieved >= 0.9 * rate;
      const why = !keptUp ? `ingest achieved only ${Math.round(achieved)} of ${rate} records/s` : behind.length > 0 ? `${behind.length} of ${options.jobs} jobs behind, e.g. ${behind[0]!.why}` : undefined;
      const step: ClusterJobsStep = { offeredRecordsPerSec: rate, achievedRecordsPerSec: Math.round(achieved), sustained: why === undefined, jobsBehind: behind.length, jobsMoved, worstLagMs: lags.length > 0 ? Math.round(Math.max(...lags)) : null, loadAverage1m: Math.round(os.loadavg()[0]! * 10) / 10, ...(why ? { why } : {}) };
      steps.push(step);
      log(`cluster: ${count} node(s), 30 jobs at ${rate} records/s: ${step.sustained ? "held" : `not held (${why})`}; ${jobsMoved} jobs changed node during the step`);
      // Catch up before the next step: every job has a frame cut after this step ended.
      const drained = Date.now() + options.drainMs;
      while (subscribers.some((s) => (s.frames.at(-1)?.batchTime ?? 0) <= to) && Date.now() < drained) await sleep(100);
      await sleep(BATCH_MS);
      return step.sustained;
    });
    // What was acknowledged, not what was offered: at low rates the bodies come a few a second, so the two differ.
    const held = steps.filter((s) => s.sustained).map((s) => s.achievedRecordsPerSec);
    return { nodes: count, workersPerNode: 1, sustainedRecordsPerSec: held.length > 0 ? Math.max(...held) : null, steps };
  } finally {
    for (const s of subscribers) s.close();
    await cluster.dispose();
  }
}
