/**
 * One end-to-end load step against the real server: a fresh stream and job, a WebSocket subscriber,
 * NDJSON pushed at the offered rate, and the job's progress sampled over HTTP. It judges whether the
 * scheduling delay stayed flat, measures ack -> result latency, and — once the job has caught up —
 * checks the job's answer against the baseline's count of exactly the events that were acknowledged.
 */
import { runBaseline } from "./baseline.js";
import { ndjson, textSource } from "./corpus.js";
import { pushAtRate } from "./http-load.js";
import { LiveResults } from "./live-results.js";
import type { E2eStep } from "./results.js";
import type { ServerProcess } from "../test/support/server-process.js";
import { percentile, round, sleep } from "./stats.js";
import { answerOfRows, differenceOf, jobDefinition, topWords, type Answer, type WorkloadName } from "./workloads.js";

/** Pre-built request bodies (1,000 events each) and each body's own answer, for checking. */
export interface BodySet {
  readonly bodies: Buffer[];
  readonly recordsPerBody: number;
  readonly matches: number[];
  readonly counts: Map<string, number>[];
}

export function makeBodies(count: number, vocabulary: readonly string[]): BodySet {
  const recordsPerBody = 1000;
  const source = textSource({ batches: count, recordsPerBatch: recordsPerBody, vocabulary, seed: 99 });
  const grep = runBaseline("grep", source, 1);
  const bodies: Buffer[] = [];
  const matches: number[] = [];
  const counts: Map<string, number>[] = [];
  for (let b = 1; b <= count; b++) {
    const { events } = source.batch(b);
    bodies.push(ndjson(events));
    matches.push(grep.answers.get(b) as number);
    const words = new Map<string, number>();
    for (const e of events) for (const w of String(e.text).split(" ")) if (w.length > 0) words.set(w, (words.get(w) ?? 0) + 1);
    counts.push(words);
  }
  return { bodies, recordsPerBody, matches, counts };
}

export interface StepPlan {
  readonly workload: WorkloadName;
  readonly offeredRecordsPerSec: number;
  readonly batchIntervalMs: number;
  readonly windowBatches: number;
  readonly partitions: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly clients: number;
  readonly drainMs: number;
}

export interface StepOutcome {
  readonly step: E2eStep;
  readonly latenciesMs: number[];
  /** A wrong answer, when one was found. */
  readonly failure?: string;
}

interface ProgressSample {
  readonly at: number;
  /** Scheduling delay, or the backlog of pending batches when that is larger. */
  readonly delayMs: number;
  readonly pending: number;
  readonly events: number;
  /** Processing time of the last batch done. */
  readonly processingMs: number;
}

interface JobProgressView {
  status: string;
  failure: string | null;
  progress: { lastBatch: { schedulingDelayMs: number; processingMs: number } | null; pendingBatches: number; eventsProcessed: number } | null;
}

let stepCount = 0;

export async function runStep(server: ServerProcess, plan: StepPlan, bodies: BodySet): Promise<StepOutcome> {
  const stream = `e2e-${plan.workload}-${++stepCount}`;
  const id = `${stream}-job`;
  await server.requestOk("POST", "/v1/streams", { name: stream, partitions: plan.partitions });
  await server.requestOk("POST", "/v1/jobs", jobDefinition(plan.workload, { id, input: stream, batchIntervalMs: plan.batchIntervalMs, windowBatches: plan.windowBatches }));
  const live = await LiveResults.open(server.wsUrl, id, 1);
  const samples: ProgressSample[] = [];
  let sampling = true;
  let jobFailure: string | undefined;
  const sampler = (async () => {
    while (sampling) {
      try {
        const job = await server.requestOk<JobProgressView>("GET", `/v1/jobs/${id}`);
        if (job.status === "failed") jobFailure = job.failure ?? "failed";
        const p = job.progress;
        const pending = p?.pendingBatches ?? 0;
        samples.push({ at: Date.now(), delayMs: Math.max(p?.lastBatch?.schedulingDelayMs ?? 0, (pending - 1) * plan.batchIntervalMs), pending, events: p?.eventsProcessed ?? 0, processingMs: p?.lastBatch?.processingMs ?? 0 });
      } catch {
        // a busy server answers late; the next sample will do
      }
      await sleep(150);
    }
  })();

  try {
    const load = await pushAtRate({ url: server.url, stream, bodies: bodies.bodies, recordsPerBody: bodies.recordsPerBody, offeredRecordsPerSec: plan.offeredRecordsPerSec, durationMs: plan.durationMs, clients: plan.clients });
    const judgedFrom = load.startedAt + plan.warmupMs;
    const middle = (judgedFrom + load.endedAt) / 2;
    const maxDelay = (from: number, to: number) => Math.max(0, ...samples.filter((s) => s.at >= from && s.at <= to).map((s) => s.delayMs));
    const firstHalf = maxDelay(judgedFrom, middle);
    const secondHalf = maxDelay(middle, load.endedAt);
    const pendingAtEnd = samples.filter((s) => s.at <= load.endedAt).at(-1)?.pending ?? 0;
    const processingMs = Math.max(0, ...samples.filter((s) => s.at >= judgedFrom && s.at <= load.endedAt).map((s) => s.processingMs));

    // Catch up: every acknowledged event processed, and a frame cut after the last acknowledgement.
    const total = load.acks.length * bodies.recordsPerBody;
    const drainUntil = Date.now() + plan.drainMs;
    while ((samples.at(-1)?.events ?? 0) < total && Date.now() < drainUntil && jobFailure === undefined) await sleep(50);
    const lastAck = Math.max(load.startedAt, ...load.acks.map((a) => a.at));
    await live.until(() => live.firstHolding(lastAck) !== undefined, Math.max(0, drainUntil - Date.now()) + plan.batchIntervalMs);
    const final = live.firstHolding(lastAck);

    const latenciesMs: number[] = [];
    for (const ack of load.acks) {
      if (ack.at < judgedFrom) continue;
      const frame = live.firstHolding(ack.at);
      if (frame) latenciesMs.push(frame.arrivedAt - ack.at);
    }

    let answers = "checked";
    let failure: string | undefined;
    if (jobFailure !== undefined) failure = `${plan.workload} e2e at ${plan.offeredRecordsPerSec} records/s: the job failed: ${jobFailure}`;
    else if (!final) answers = "not checked: the job had not caught up when the step gave up waiting";
    else if (live.missingUpTo(final.seq) !== undefined) failure = `${plan.workload} e2e at ${plan.offeredRecordsPerSec} records/s: the live subscription skipped frame ${live.missingUpTo(final.seq)}`;
    else if (plan.workload !== "grep" && load.unanswered.length > 0) answers = `not checked: ${load.unanswered.length} requests got no answer, so whether they were stored is unknown`;
    else if (plan.workload !== "grep" && final.batchTime - plan.windowBatches * plan.batchIntervalMs >= load.startedAt) answers = "not checked: the step outlasted the window";
    else if (plan.workload !== "grep" && !final.rows) answers = "not checked: the final frame's rows were not kept";
    else {
      const acked = load.acks.map((a) => a.body);
      const observed = observedAnswer(plan.workload, live, final.batchTime, final.rows);
      const difference = plan.workload === "grep" ? grepDifference(bodies, acked, load.unanswered, observed as number) : differenceOf(expectedAnswer(plan.workload, bodies, acked), observed);
      if (difference !== undefined) failure = `${plan.workload} e2e at ${plan.offeredRecordsPerSec} records/s: the answer after the last acknowledged event differs from the baseline: ${difference}`;
    }
    if (failure) answers = "wrong";

    const achieved = load.achievedRecordsPerSec;
    const keptUp = achieved >= 0.9 * plan.offeredRecordsPerSec;
    // Keeping up: batches start on their tick (delay well under an interval, no batch waiting behind
    // another), the delay does not grow from the first half of the step to the second, and no batch
    // takes longer than an interval (in a short step the delay has not yet had time to grow).
    const flat = secondHalf <= firstHalf + plan.batchIntervalMs / 4 && secondHalf < plan.batchIntervalMs / 2 && processingMs < plan.batchIntervalMs;
    const why = !keptUp
      ? `ingest achieved only ${Math.round(achieved)} of ${plan.offeredRecordsPerSec} records/s${load.failures > 0 ? ` (${load.failures} failed requests: ${load.lastFailure})` : ""}`
      : processingMs >= plan.batchIntervalMs
        ? `a batch took ${Math.round(processingMs)} ms to process, longer than the ${plan.batchIntervalMs} ms interval`
        : !flat
          ? `scheduling delay ${secondHalf > firstHalf + plan.batchIntervalMs / 4 ? "grew" : "stayed high"}: ${Math.round(firstHalf)} ms, then ${Math.round(secondHalf)} ms`
          : undefined;
    return {
      latenciesMs,
      ...(failure ? { failure } : {}),
      step: {
        batchIntervalMs: plan.batchIntervalMs,
        offeredRecordsPerSec: Math.round(plan.offeredRecordsPerSec),
        achievedRecordsPerSec: Math.round(achieved),
        sustainable: keptUp && flat && failure === undefined,
        schedulingDelayMs: { firstHalf: Math.round(firstHalf), secondHalf: Math.round(secondHalf) },
        pendingBatchesAtEnd: pendingAtEnd,
        maxProcessingMs: Math.round(processingMs),
        p50Ms: latenciesMs.length > 0 ? round(percentile(latenciesMs, 50)) : null,
        p99Ms: latenciesMs.length > 0 ? round(percentile(latenciesMs, 99)) : null,
        latencySamples: latenciesMs.length,
        answers,
        ...(why ? { why } : {}),
      },
    };
  } finally {
    sampling = false;
    await sampler;
    live.close();
    await server.requestOk("DELETE", `/v1/jobs/${id}`).catch(() => undefined);
    await server.requestOk("DELETE", `/v1/streams/${stream}`).catch(() => undefined);
  }
}

function expectedAnswer(workload: WorkloadName, bodies: BodySet, acked: readonly number[]): Answer {
  if (workload === "grep") return acked.reduce((n, b) => n + bodies.matches[b]!, 0);
  const total = new Map<string, number>();
  for (const b of acked) for (const [w, c] of bodies.counts[b]!) total.set(w, (total.get(w) ?? 0) + c);
  return workload === "wordcount" ? total : topWords(total);
}

/**
 * grep must have counted every acknowledged body; a request that got no answer may have been stored
 * too, so a count up to that plus the unanswered bodies' is right as well.
 */
function grepDifference(bodies: BodySet, acked: readonly number[], unanswered: readonly number[], observed: number): string | undefined {
  const least = expectedAnswer("grep", bodies, acked) as number;
  if (unanswered.length === 0) return differenceOf(least, observed);
  const most = expectedAnswer("grep", bodies, [...acked, ...unanswered]) as number;
  return observed >= least && observed <= most ? undefined : `expected ${least} to ${most} matches (${unanswered.length} requests got no answer), got ${observed}`;
}

/** grep: every match counted up to the final frame; the windowed jobs: the final window itself. */
function observedAnswer(workload: WorkloadName, live: LiveResults, finalBatchTime: number, rows: Record<string, unknown>[] | undefined): Answer {
  if (workload === "grep") return live.frames.filter((f) => f.batchTime <= finalBatchTime).reduce((n, f) => n + (f.matches ?? 0), 0);
  return answerOfRows(workload, rows ?? []);
}
