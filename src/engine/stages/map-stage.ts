/**
 * The map side of a batch on one input partition: decode its blocks, run the narrow steps, and either
 * pre-aggregate per key and split by reduce partition (keyed jobs) or pack the rows (the rest).
 */
import { decodeBlock } from "../block-codec.js";
import { splitByReducePartition, type KeyedStage } from "../operators/keyed-stage.js";
import { TaskAbandonedError, type BatchContext, type Operator, type Row } from "../operators/operator.js";
import type { JobPlan } from "../query/compile-job.js";
import type { MapResult, MapTask } from "../task-runner.js";
import { rowErrorCollector, type RowErrorReport } from "./row-errors.js";
import { encodeRows, encodeShare } from "./shuffle-codec.js";

export class MapStage {
  /** Per input of the job, its narrow steps. */
  private readonly operators: Operator[][];
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
    let rows: Row[] = [];
    for (const block of task.blocks) {
      stopIfAbandoned();
      for (const event of decodeBlock(block)) rows.push(event);
    }
    const events = rows.length;
    for (const operator of operators) {
      stopIfAbandoned();
      rows = operator.process(rows, ctx) ?? [];
    }
    stopIfAbandoned();
    if (!this.keyed) return { events, rowErrors, rows: encodeRows(rows) };
    const groups = this.keyed.partial(rows, ctx, input);
    const shares = splitByReducePartition(groups, this.reducePartitions).map((share) => encodeShare(share, ctx.maxEventTime));
    return { events, rowErrors, shares };
  }
}
