/**
 * Rebuilding a job after a restart (or a restart of the job itself): each reduce partition from the
 * newest complete checkpoint that loads (falling back to the one before, then to the job's start),
 * then the batches recorded since are run again in order. A replayed batch whose frame was never
 * stored gets it now, so subscribers see no gap. The job's counters continue from the checkpoint's,
 * and each replayed batch adds to them once.
 */
import type { JobCounters, JobRecord, Store } from "../store/types.js";
import type { InputRetention } from "./input-retention.js";
import { layoutOf, type JobLayout } from "./job-layout.js";
import type { OperatorLog } from "./operator-log.js";
import { compileJob, type JobPlan } from "./query/compile-job.js";
import { offsetsByStream } from "./scheduler/input-slots.js";
import type { JobGenerator, JobPosition } from "./scheduler/job-generator.js";
import type { TaskRunner } from "./task-runner.js";

/** Recorded batches read at a time while replaying. */
const REPLAY_PAGE = 1000;

export interface RecoveryPorts {
  readonly store: Store;
  readonly runner: TaskRunner;
  readonly retention: InputRetention;
  readonly log: OperatorLog;
  /** Makes the job's generator at `position` and deploys the job on the runner. */
  launch(record: JobRecord, plan: JobPlan, layout: JobLayout, position: JobPosition): Promise<JobGenerator>;
}

/** A checkpoint loaded into the runner: its partitions' snapshots and the counters it carries (none when older). */
interface RestoredCheckpoint {
  readonly snapshots: readonly Uint8Array[];
  readonly counters: JobCounters | undefined;
}

/** Rebuilds `record`'s job and, when it is running, starts it ticking again. */
export async function recoverJob(ports: RecoveryPorts, record: JobRecord): Promise<void> {
  const { store, runner } = ports;
  const began = Date.now();
  const plan = compileJob(record.definition);
  const layout = await layoutOf(store.catalog, record.definition, plan);
  const bounds = await store.results.bounds(record.id);
  const lastFrame = bounds.last > 0 ? (await store.results.read(record.id, bounds.last, 1))[0] : undefined;
  let generator: JobGenerator | undefined;
  let after = -Infinity;
  let fromCheckpoint: number | null = null;
  let replayed = 0;
  // What is at or before a reset of its state belongs to an earlier definition (see JobRecord).
  const resetAt = record.stateResetAt ?? -Infinity;
  const checkpoints = (await store.checkpoints.listComplete(record.id)).filter((batchTime) => batchTime > resetAt);
  after = resetAt;
  for (const checkpoint of [...checkpoints, undefined]) {
    const [atCheckpoint] = checkpoint === undefined ? [] : await store.batches.list(record.id, checkpoint - 1, 1);
    // What arrived while the job was down (or is left of the history it started from) is caught up on
    // in bounded batches (scheduler/catch-up.ts), not cut whole into the first batch.
    const position = atCheckpoint
      ? { cursor: atCheckpoint.ranges.map((r) => r.to), lastSeq: bounds.last, lastBatchTime: atCheckpoint.batchTime, catchingUp: true }
      : // No checkpoint: replayed batches move it on; without any (a job whose state was reset), it
        // cuts no batch time at or before its last frame's.
        { cursor: Object.values(record.startOffsets), lastSeq: bounds.last, lastBatchTime: lastFrame?.batchTime ?? 0, catchingUp: true };
    if (checkpoint !== undefined && !atCheckpoint) continue;
    generator = await ports.launch(record, plan, layout, position);
    const restored = checkpoint === undefined ? { snapshots: [], counters: undefined } : await restoreCheckpoint(store, runner, record.id, checkpoint, layout.partitions);
    if (restored) {
      after = checkpoint ?? resetAt;
      fromCheckpoint = checkpoint ?? null;
      if (restored.counters) generator.progress.restored(restored.counters);
      if (checkpoint !== undefined) {
        generator.progress.checkpointed(checkpoint, null);
        // A partition lost before the next checkpoint is rebuilt from this one.
        generator.history.checkpointed(checkpoint, restored.snapshots);
      }
      ports.retention.set(record.id, offsetsByStream(layout.slots, position.cursor));
      break;
    }
    await runner.undeploy(record.id);
  }
  for (;;) {
    const page = await store.batches.list(record.id, after, REPLAY_PAGE);
    if (page.length === 0) break;
    for (const descriptor of page) await generator!.replay(descriptor, lastFrame?.batchTime ?? -Infinity);
    replayed += page.length;
    after = page[page.length - 1]!.batchTime;
  }
  if (record.status === "running") generator!.start({ dueNow: true });
  ports.log.info({ job: record.id, status: record.status, checkpoint: fromCheckpoint, batchesReplayed: replayed, ms: Date.now() - began }, "job recovered");
}

/**
 * Loads every partition of one checkpoint into the runner; its snapshots and counters, or undefined
 * when any part is missing or unreadable. A checkpoint written before checkpoints carried counters
 * loads without them: the job counts from 0.
 */
async function restoreCheckpoint(store: Store, runner: TaskRunner, jobId: string, batchTime: number, partitions: number): Promise<RestoredCheckpoint | undefined> {
  try {
    const snapshots: Uint8Array[] = [];
    for (let p = 0; p < partitions; p++) {
      const snapshot = await store.checkpoints.load(jobId, batchTime, p);
      if (!snapshot) return undefined;
      await runner.restore(jobId, p, snapshot);
      snapshots.push(snapshot);
    }
    return { snapshots, counters: await store.checkpoints.counters(jobId, batchTime) };
  } catch {
    return undefined;
  }
}
