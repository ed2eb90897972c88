/**
 * The map side of a batch on one input partition: decode its blocks, run the narrow steps (fused, see
 * row-chain.ts), and either pre-aggregate per key and split by reduce partition (keyed jobs) or pack
 * the rows (the rest).
 */
import { decodeBlock } from "../block-codec.js";
import { splitByReducePartition, type KeyedStage } from "../operators/keyed-stage.js";
import { ABANDON_CHECK_ROWS, TaskAbandonedError, type BatchContext, type NarrowOperator, type Row } from "../operators/operator.js";
import type { JobPlan } from "../query/compile-job.js";
import type { MapResult, MapTask } from "../task-runner.js";
import { rowChain } from "./row-chain.js";
import { rowErrorCollector, type RowErrorReport } from "./row-errors.js";
import { encodeRows, encodeShare } from "./shuffle-codec.js";

export class MapStage {
  /** Per input of the job, its narrow steps. */
  private readonly operators: NarrowOperator[][];
  private readonly keyed: KeyedStage | undefined;

  constructor(
    plan: JobPlan,
    private readonly reducePartitions: number,
  ) {
    this.operators = plan.inputs.map((_, input) => plan.mapOperators(input));
    this.keyed = plan.keyed();
  }

  /** `abandoned`: see BatchContext.abandoned (the worker pool's speculative copies). */
  run(task: MapTask, abandoned?: () => boolean): MapResult {
    const input = task.input ?? 0;
    const operators = this.operators[input];
    if (!operators) throw new Error(`job ${task.jobId} has no input ${input}`);
    const rowErrors: RowErrorReport = { count: 0 };
    const ctx: BatchContext = { batchTime: task.batchTime, onRowError: rowErrorCollector(rowErrors), ...(abandoned ? { abandoned } : {}) };
    const stopIfAbandoned = () => {
      if (abandoned?.()) throw new TaskAbandonedError();
    };
    // Events go one at a time through the narrow steps into the keyed stage's partial when it takes
    // rows that way, else into an array for it (or for the output).
    const sink = this.keyed?.partialSink?.(ctx, input);
    const rows: Row[] = [];
    const chain = rowChain(operators, ctx, sink ? sink.add : (row) => void rows.push(row));
    let events = 0;
    for (const block of task.blocks) {
      stopIfAbandoned();
      const decoded = decodeBlock(block);
      for (let i = 0; i < decoded.length; i++) {
        if ((i & (ABANDON_CHECK_ROWS - 1)) === ABANDON_CHECK_ROWS - 1) stopIfAbandoned();
        chain(decoded[i]!);
      }
      events += decoded.length;
    }
    stopIfAbandoned();
    if (!this.keyed) return { events, rowErrors, rows: encodeRows(rows) };
    const groups = sink ? sink.finish() : this.keyed.partial(rows, ctx, input);
    const shares = splitByReducePartition(groups, this.reducePartitions).map((share) => encodeShare(share, ctx.maxEventTime));
    return { events, rowErrors, shares };
  }
}
