/**
 * Runs one recorded batch of one job through the runner: a map task per input slot (each partition
 * of each input stream) that has blocks, a reduce task per reduce partition (for keyed jobs), then the final steps here. The result
 * is a pure function of the descriptor and the state the previous batch left.
 */
import type { BatchDescriptor, StreamLog } from "../../store/types.js";
import type { BatchOutput } from "../job-pipeline.js";
import type { Row } from "../operators/operator.js";
import type { JobPlan } from "../query/compile-job.js";
import { FinalStage } from "../stages/final-stage.js";
import { addRowErrors, type RowErrorReport } from "../stages/row-errors.js";
import { decodeRows, encodeGroups, encodeRows } from "../stages/shuffle-codec.js";
import type { MapResult, ReduceTask, TaskRunner } from "../task-runner.js";

/** The part of a TaskRunner a batch uses. */
export type BatchRunner = Pick<TaskRunner, "map" | "reduce">;
import type { InputSlot } from "./input-slots.js";

export interface BatchOutcome {
  readonly output: BatchOutput | null;
  readonly events: number;
  readonly rowErrors: RowErrorReport;
  readonly stateSize: number;
  /** Events dropped as late by an event-time step (their windows had closed). */
  readonly lateEvents: number;
  /** The event-time watermark after this batch (every reduce partition derives the same one); absent when the job has none yet. */
  readonly watermark?: number;
}

const EMPTY_SHARE = encodeGroups(new Map());
const EMPTY_ROWS = encodeRows([]);

export class BatchExecutor {
  private readonly final: FinalStage;
  private readonly keyed: boolean;

  constructor(
    private readonly jobId: string,
    plan: JobPlan,
    private readonly slots: readonly InputSlot[],
    private readonly partitions: number,
    private readonly runner: BatchRunner,
    private readonly log: StreamLog,
    /** Told of each reduce task as soon as its partition answers it (see job-history.ts). */
    private readonly onReduced: (task: ReduceTask) => void,
  ) {
    this.final = new FinalStage(plan);
    this.keyed = plan.keyed() !== undefined;
  }

  async execute(descriptor: BatchDescriptor): Promise<BatchOutcome> {
    const { batchTime } = descriptor;
    const rowErrors: RowErrorReport = { count: 0 };
    if (descriptor.ranges.length !== this.slots.length) {
      throw new Error(`batch ${batchTime} of job ${this.jobId} has ${descriptor.ranges.length} block ranges for ${this.slots.length} input partitions`);
    }
    // Range i is slot i's (see input-slots.ts).
    const mapped = await Promise.all(
      this.slots.map(async (slot, i): Promise<MapResult> => {
        const range = descriptor.ranges[i]!;
        const blocks = range.to > range.from ? (await this.log.read(range)).map((b) => b.payload) : [];
        if (blocks.length === 0) return this.nothingMapped();
        return this.runner.map({ jobId: this.jobId, batchTime, partition: i, input: slot.input, blocks });
      }),
    );
    const events = mapped.reduce((n, m) => n + m.events, 0);
    for (const m of mapped) addRowErrors(rowErrors, m.rowErrors);

    let rows: Row[];
    let window = null;
    let stateSize = 0;
    let lateEvents = 0;
    let watermark: { watermark?: number } = {};
    if (!this.keyed) {
      rows = mapped.flatMap((m) => decodeRows(m.rows!));
    } else {
      const reduceTasks: ReduceTask[] = Array.from({ length: this.partitions }, (_, partition) => ({
        jobId: this.jobId,
        batchTime,
        partition,
        shares: mapped.map((m) => m.shares![partition]!),
      }));
      // Each partition's rows are unpacked as soon as they arrive, while the others are still reducing.
      const reduced = await Promise.all(
        reduceTasks.map((task) =>
          this.runner.reduce(task).then((r) => {
            this.onReduced(task);
            return { ...r, unpacked: r.emitted ? decodeRows(r.rows) : [] };
          }),
        ),
      );
      for (const r of reduced) addRowErrors(rowErrors, r.rowErrors);
      stateSize = reduced.reduce((n, r) => n + r.stateSize, 0);
      lateEvents = reduced.reduce((n, r) => n + (r.lateEvents ?? 0), 0);
      const marks = reduced.flatMap((r) => (r.watermark === undefined ? [] : [r.watermark]));
      if (marks.length > 0) watermark = { watermark: Math.min(...marks) };
      if (!reduced.some((r) => r.emitted)) return { output: null, events, rowErrors, stateSize, lateEvents, ...watermark };
      rows = reduced.flatMap((r) => r.unpacked);
      window = reduced[0]!.window;
    }
    const out = this.final.run(batchTime, rows, window, rowErrors);
    return { output: out === null ? null : { rows: out, window }, events, rowErrors, stateSize, lateEvents, ...watermark };
  }

  private nothingMapped(): MapResult {
    const rowErrors = { count: 0 };
    return this.keyed ? { events: 0, rowErrors, shares: Array.from({ length: this.partitions }, () => EMPTY_SHARE) } : { events: 0, rowErrors, rows: EMPTY_ROWS };
  }
}
