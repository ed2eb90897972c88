/**
 * Recovery from a killed server: the real server runs wordcount over a 30 s window while events are
 * pushed over HTTP until a checkpoint has completed and a few more batches ran; then it is SIGKILLed
 * and started again on the same data directory. Figure: ms from the kill until a frame whose batch
 * time is after the kill arrives on schedule. The subscriber resumes with ?from=: no seq may be
 * missing or repeated, and the window after the restart must equal the baseline's count.
 */
import type { BodySet } from "./e2e-step.js";
import { pushAtRate } from "./http-load.js";
import { LiveResults } from "./live-results.js";
import type { BenchOptions } from "./options.js";
import type { BenchResults } from "./results.js";
import { ServerProcess } from "../test/support/server-process.js";
import { sleep } from "./stats.js";
import { answerOfRows, differenceOf, jobDefinition } from "./workloads.js";

type Figures = Pick<BenchResults["recovery"], "serverRestartMs" | "serverRestart">;

export async function measureServerRestart(options: BenchOptions, loadRecordsPerSec: number, bodies: BodySet, failures: string[]): Promise<Figures> {
  const { checkpointIntervalMs } = options.recovery;
  const intervalMs = 1000;
  const server = await ServerProcess.start({ CHECKPOINT_INTERVAL_MS: String(checkpointIntervalMs) });
  const id = "restart-wordcount";
  let before: LiveResults | undefined;
  let after: LiveResults | undefined;
  try {
    await server.requestOk("POST", "/v1/streams", { name: "records", partitions: options.partitions });
    await server.requestOk("POST", "/v1/jobs", jobDefinition("wordcount", { id, input: "records", batchIntervalMs: intervalMs, windowBatches: options.windowBatches }));
    before = await LiveResults.open(server.wsUrl, id, 1);
    const load = await pushAtRate({ url: server.url, stream: "records", bodies: bodies.bodies, recordsPerBody: bodies.recordsPerBody, offeredRecordsPerSec: loadRecordsPerSec, durationMs: checkpointIntervalMs + 2_500, clients: 2 });
    const progress = await server.requestOk<{ progress: { lastCheckpoint: { batchTime: number } | null } | null }>("GET", `/v1/jobs/${id}`);
    const checkpointAt = progress.progress?.lastCheckpoint?.batchTime ?? null;
    await before.until(() => (before!.frames.at(-1)?.batchTime ?? 0) >= load.endedAt - intervalMs, 3_000);
    const lastSeqBefore = before.frames.at(-1)?.seq ?? 0;
    before.close();

    const killAt = Date.now();
    await server.kill("SIGKILL");
    const launchedAt = Date.now();
    await server.launch();
    const healthyAt = Date.now();
    after = await LiveResults.open(server.wsUrl, id, lastSeqBefore + 1);
    const live = after;
    const onSchedule = () => live.frames.find((f) => f.batchTime > killAt && f.arrivedAt - f.batchTime <= intervalMs);
    await live.until(() => onSchedule() !== undefined, 20_000);
    const back = onSchedule();

    const seqs = [...before.frames, ...live.frames].map((f) => f.seq);
    const gapOrRepeat = seqs.findIndex((s, i) => s !== i + 1);
    if (gapOrRepeat >= 0) failures.push(`server restart: result seqs are not 1, 2, 3, ... across the restart (at position ${gapOrRepeat + 1}: ${seqs[gapOrRepeat]})`);

    const lastAck = Math.max(load.startedAt, ...load.acks.map((a) => a.at));
    await live.until(() => live.firstHolding(Math.max(lastAck, healthyAt)) !== undefined, 5_000);
    const final = live.firstHolding(Math.max(lastAck, healthyAt));
    let answers = "checked";
    if (!final?.rows) answers = "not checked: no frame after the restart arrived in time";
    else if (final.batchTime - options.windowBatches * intervalMs >= load.startedAt) answers = "not checked: the run outlasted the window";
    else if (load.unanswered.length > 0) answers = `not checked: ${load.unanswered.length} requests got no answer, so whether they were stored is unknown`;
    else {
      const expected = new Map<string, number>();
      for (const ack of load.acks) for (const [w, c] of bodies.counts[ack.body]!) expected.set(w, (expected.get(w) ?? 0) + c);
      const difference = differenceOf(expected, answerOfRows("wordcount", final.rows));
      if (difference !== undefined) {
        answers = "wrong";
        failures.push(`server restart: the window after the restart differs from the baseline's count of every acknowledged event: ${difference}`);
      }
    }
    return {
      serverRestartMs: back ? back.arrivedAt - killAt : null,
      serverRestart: {
        ...(back ? {} : { reason: `no frame arrived on schedule within 20 s of the restart; server said: ${server.logs().slice(-300)}` }),
        processStartMs: healthyAt - launchedAt,
        checkpointIntervalMs,
        loadRecordsPerSec,
        lastCheckpointBeforeKill: checkpointAt,
        eventsAcknowledged: load.acks.length * bodies.recordsPerBody,
        framesBeforeKill: before.frames.length,
        answers,
      },
    };
  } finally {
    before?.close();
    after?.close();
    await sleep(10);
    await server.dispose();
  }
}
