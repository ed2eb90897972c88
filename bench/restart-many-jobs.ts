/**
 * A restart of a server that runs 100 jobs of the examples (wordcount over a 30 s window, its running
 * totals, top words, grep, the spam filter; 20 of each). Events are pushed into their streams until
 * every job has checkpointed and run a few batches more; then the server is SIGKILLed and started again
 * on the same data directory while events keep coming. Figures, in ms from the new process's spawn:
 * until /healthz answers, until the first ingest is acknowledged, until each job is back on schedule
 * (the first batch cut after the spawn has finished, read from the job's progress: its batch time plus
 * its scheduling delay and processing time), and until each job logged "job recovered". Checked: once
 * the load stops, every job has processed exactly the events acknowledged into its inputs (nothing lost
 * or doubled across the restart).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { random } from "./corpus.js";
import type { BenchOptions } from "./options.js";
import { median, sleep } from "./stats.js";
import { ServerProcess } from "../test/support/server-process.js";

/** What the restart section records (bench/results/latest.json, recovery.manyJobsRestart). */
export interface ManyJobsRestartFigures {
  readonly jobs: number;
  readonly healthzMs: number | null;
  readonly firstIngestMs: number | null;
  /** Every job back on schedule (the slowest job's figure). */
  readonly allOnScheduleMs: number | null;
  readonly onScheduleMedianMs: number | null;
  readonly onScheduleMaxMs: number | null;
  readonly recoveredMedianMs: number | null;
  readonly recoveredMaxMs: number | null;
  /** Batches replayed by all jobs together, and jobs that recovered from a checkpoint. */
  readonly batchesReplayed: number;
  readonly fromCheckpoint: number;
  readonly checkpointIntervalMs: number;
  readonly eventsAcknowledged: number;
  readonly answers: string;
  readonly reason?: string;
}

interface JobProgress {
  readonly id: string;
  readonly input: string;
  readonly inputs: readonly string[];
  readonly progress: { lastBatch: { batchTime: number; schedulingDelayMs: number; processingMs: number } | null; eventsProcessed: number; lastCheckpoint: { batchTime: number } | null } | null;
}

const EXAMPLES = ["wordcount/window-job.json", "wordcount/totals-job.json", "topk/job.json", "grep/job.json", "spam/job.json"];
const STREAMS = ["tweets", "logs", "messages", "inbox"];
const WORDS = ["free", "cash", "prize", "meeting", "lunch", "report", "the", "a", "stream", "batch", "window", "ERROR", "INFO", "claim", "offer", "review"];
/** How long after the spawn every job must be back for the figure to count (a bound on the wait). */
const PATIENCE_MS = 60_000;

function exampleJobs(root: string, count: number): Record<string, unknown>[] {
  const templates = EXAMPLES.map((file) => JSON.parse(readFileSync(path.join(root, "examples", file), "utf8")) as Record<string, unknown>);
  return Array.from({ length: count }, (_, i) => {
    const template = templates[i % templates.length]!;
    return { ...template, name: `${String(template.name)}-${String(i).padStart(3, "0")}` };
  });
}

/** One event of `stream`, with the fields the examples' jobs read. */
function eventOf(stream: string, next: () => number, n: number): Record<string, unknown> {
  const text = Array.from({ length: 8 }, () => WORDS[Math.floor(next() * WORDS.length)]).join(" ");
  if (stream === "logs") return { line: `${n} ${text}` };
  if (stream === "messages") return { id: `m${n}`, text, spam: next() < 0.3 };
  if (stream === "inbox") return { id: `i${n}`, text };
  return { text, user: `u${n % 50}` };
}

/** Pushes small batches of events into every stream until stopped; counts what was acknowledged. */
class SteadyLoad {
  readonly acknowledged = new Map<string, number>(STREAMS.map((s) => [s, 0]));
  unanswered = 0;
  private running = true;
  private readonly done: Promise<void>;
  private n = 0;

  constructor(
    private readonly server: ServerProcess,
    eventsPerPost: number,
    everyMs: number,
  ) {
    const next = random(7);
    this.done = (async () => {
      while (this.running) {
        const started = Date.now();
        await Promise.all(
          STREAMS.map(async (stream) => {
            const events = Array.from({ length: eventsPerPost }, () => eventOf(stream, next, this.n++));
            // Retried with its Idempotency-Key until acknowledged (the server is down for a while), so
            // every event is stored exactly once and the jobs' counts can be checked.
            const headers = { "content-type": "application/json", "idempotency-key": `load-${stream}-${this.n}` };
            for (let attempt = 0; attempt < 600; attempt++) {
              const res = await fetch(`${server.url}/v1/streams/${stream}/events`, { method: "POST", headers, body: JSON.stringify(events) }).catch(() => undefined);
              if (res?.status === 202) {
                this.acknowledged.set(stream, this.acknowledged.get(stream)! + events.length);
                return;
              }
              await sleep(50);
            }
            this.unanswered++;
          }),
        );
        await sleep(everyMs - (Date.now() - started));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

async function jobsNow(server: ServerProcess): Promise<JobProgress[]> {
  return (await server.requestOk<{ jobs: JobProgress[] }>("GET", "/v1/jobs")).jobs;
}

export async function measureManyJobsRestart(options: BenchOptions, jobCount: number, failures: string[]): Promise<ManyJobsRestartFigures> {
  const { checkpointIntervalMs } = options.recovery;
  const server = await ServerProcess.start({ CHECKPOINT_INTERVAL_MS: String(checkpointIntervalMs), LOG_LEVEL: "info" });
  const recoveredLines = server.linesWith('"job recovered"');
  let load: SteadyLoad | undefined;
  const base = { jobs: jobCount, checkpointIntervalMs, batchesReplayed: 0, fromCheckpoint: 0, eventsAcknowledged: 0 };
  try {
    for (const name of STREAMS) await server.requestOk("POST", "/v1/streams", { name, partitions: 2 });
    for (const job of exampleJobs(server.root, jobCount)) await server.requestOk("POST", "/v1/jobs", job);
    load = new SteadyLoad(server, 20, 100);
    // Every job checkpoints, then runs a few batches more: those are replayed after the restart.
    const checkpointed = Date.now() + checkpointIntervalMs * 3;
    while (Date.now() < checkpointed && !(await jobsNow(server)).every((j) => j.progress?.lastCheckpoint)) await sleep(500);
    await sleep(2_500);

    await server.kill("SIGKILL");
    const spawnedAt = Date.now();
    await server.launch("listening");
    const healthzMs = Date.now() - spawnedAt;
    let firstIngestMs: number | null = null;
    for (let i = 0; i < 200 && firstIngestMs === null; i++) {
      const res = await fetch(`${server.url}/v1/streams/tweets/events`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify([{ text: "restart probe", user: "probe" }]) });
      if (res.status === 202) {
        firstIngestMs = Date.now() - spawnedAt;
        load.acknowledged.set("tweets", load.acknowledged.get("tweets")! + 1);
      } else await sleep(10);
    }

    // Each job's first batch cut after the spawn, once finished: when it ended, by the server's clock.
    const onSchedule = new Map<string, number>();
    const deadline = spawnedAt + PATIENCE_MS;
    while (onSchedule.size < jobCount && Date.now() < deadline) {
      for (const job of await jobsNow(server).catch(() => [])) {
        const last = job.progress?.lastBatch;
        if (!onSchedule.has(job.id) && last && last.batchTime > spawnedAt) onSchedule.set(job.id, last.batchTime + last.schedulingDelayMs + last.processingMs - spawnedAt);
      }
      await sleep(100);
    }
    await load.stop();

    const recovered = recoveredLines.map((line) => JSON.parse(line) as { time: number; checkpoint: number | null; batchesReplayed: number }).filter((r) => r.time >= spawnedAt);
    const recoveredMs = recovered.map((r) => r.time - spawnedAt);
    const onScheduleMs = [...onSchedule.values()];
    const answers = await checkAnswers(server, load, failures);
    const eventsAcknowledged = [...load.acknowledged.values()].reduce((a, b) => a + b, 0);
    return {
      ...base,
      healthzMs,
      firstIngestMs,
      allOnScheduleMs: onSchedule.size === jobCount ? Math.max(...onScheduleMs) : null,
      onScheduleMedianMs: onScheduleMs.length > 0 ? median(onScheduleMs) : null,
      onScheduleMaxMs: onScheduleMs.length > 0 ? Math.max(...onScheduleMs) : null,
      recoveredMedianMs: recoveredMs.length > 0 ? median(recoveredMs) : null,
      recoveredMaxMs: recoveredMs.length > 0 ? Math.max(...recoveredMs) : null,
      batchesReplayed: recovered.reduce((sum, r) => sum + r.batchesReplayed, 0),
      fromCheckpoint: recovered.filter((r) => r.checkpoint !== null).length,
      eventsAcknowledged,
      answers,
      ...(onSchedule.size === jobCount ? {} : { reason: `${jobCount - onSchedule.size} jobs were not back on schedule within ${PATIENCE_MS / 1000} s` }),
    };
  } finally {
    await load?.stop();
    await server.dispose();
  }
}

/** Waits until every job has processed every acknowledged event of its inputs; says what differs otherwise. */
async function checkAnswers(server: ServerProcess, load: SteadyLoad, failures: string[]): Promise<string> {
  if (load.unanswered > 0) return `not checked: ${load.unanswered} posts got no answer, so whether they were stored is unknown`;
  const expected = (job: JobProgress) => job.inputs.reduce((sum, input) => sum + (load.acknowledged.get(input) ?? 0), 0);
  const deadline = Date.now() + 20_000;
  let jobs = await jobsNow(server);
  while (Date.now() < deadline && !jobs.every((j) => j.progress?.eventsProcessed === expected(j))) {
    await sleep(500);
    jobs = await jobsNow(server);
  }
  const wrong = jobs.filter((j) => j.progress?.eventsProcessed !== expected(j));
  if (wrong.length === 0) return "checked";
  failures.push(`restart with ${jobs.length} jobs: ${wrong.length} jobs processed other than every acknowledged event once, e.g. ${wrong[0]!.id}: ${wrong[0]!.progress?.eventsProcessed ?? "no progress"} of ${expected(wrong[0]!)}`);
  return "wrong";
}
