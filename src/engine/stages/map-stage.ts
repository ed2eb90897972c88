/**
 * The map side of a batch on one input partition: decode its blocks, run the narrow steps (fused, see
 * row-chain.ts), and either pre-aggregate per key and split by reduce partition (keyed jobs) or pack
 * the rows (the rest).
 */
import { decodeBlock } from "../block-codec.js";
import { splitByReducePartition, type KeyedStage } from "../operators/keyed-stage.js";
import { TaskAbandonedError, type BatchContext, type NarrowOperator, type Row } from "../operators/operator.js";
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

  /** `abandoned`: see BatchContext.abandoned (the worker pool's speculative copies, a deleted job). */
  run(task: MapTask, abandoned?: () => boolean): MapResult {
    const run = this.start(task, abandoned);
    run.advance(() => true);
    return run.result();
  }

  /** The task as a run that can be advanced a slice at a time (see MapRun). */
  start(task: MapTask, abandoned?: () => boolean): MapRun {
    const input = task.input ?? 0;
    const operators = this.operators[input];
    if (!operators) throw new Error(`job ${task.jobId} has no input ${input}`);
    return new MapRun(task, operators, this.keyed, this.reducePartitions, abandoned);
  }
}

/** Rows a run handles at most between two looks at the clock and at `abandoned`. */
const MAX_CHECK_STRIDE = 256;
/** Past this long (ms) between two looks, the run looks after every row. */
const SLOW_STRIDE_MS = 1;

/**
 * One map task in progress. It can be advanced a slice at a time, so a worker in the middle of a
 * costly task still answers other jobs' requests between slices, and a task that is no longer wanted
 * stops within a row of it. How often it looks follows the rows' cost: every row when rows are slow,
 * every few hundred when they take microseconds.
 */
export class MapRun {
  private readonly rowErrors: RowErrorReport = { count: 0 };
  private readonly ctx: BatchContext;
  private readonly sink: ReturnType<NonNullable<KeyedStage["partialSink"]>> | undefined;
  private readonly rows: Row[] = [];
  private readonly chain: (row: Row) => void;
  private block = 0;
  private decoded: readonly Row[] | undefined;
  private next = 0;
  private events = 0;
  private stride = 1;
  private lastLook = performance.now();

  constructor(
    private readonly task: MapTask,
    operators: readonly NarrowOperator[],
    private readonly keyed: KeyedStage | undefined,
    private readonly reducePartitions: number,
    private readonly abandoned: (() => boolean) | undefined,
  ) {
    this.ctx = { batchTime: task.batchTime, onRowError: rowErrorCollector(this.rowErrors), ...(abandoned ? { abandoned } : {}) };
    // Events go one at a time through the narrow steps into the keyed stage's partial when it takes
    // rows that way, else into an array for it (or for the output).
    this.sink = keyed?.partialSink?.(this.ctx, task.input ?? 0);
    const rows = this.rows;
    this.chain = rowChain(operators, this.ctx, this.sink ? this.sink.add : (row) => void rows.push(row));
  }

  /**
   * Runs rows until every block is done (true) or `goOn` says to stop for now (false: call again).
   * Throws TaskAbandonedError once the task is abandoned.
   */
  advance(goOn: () => boolean): boolean {
    const blocks = this.task.blocks;
    while (this.block < blocks.length) {
      this.stopIfAbandoned();
      const decoded = (this.decoded ??= decodeBlock(blocks[this.block]!));
      let untilLook = this.stride;
      while (this.next < decoded.length) {
        this.chain(decoded[this.next++]!);
        if (--untilLook === 0) {
          const now = performance.now();
          this.stride = now - this.lastLook > SLOW_STRIDE_MS ? 1 : Math.min(this.stride * 2, MAX_CHECK_STRIDE);
          this.lastLook = now;
          untilLook = this.stride;
          this.stopIfAbandoned();
          if (this.next < decoded.length && !goOn()) return false;
        }
      }
      this.events += decoded.length;
      this.decoded = undefined;
      this.next = 0;
      this.block += 1;
    }
    this.stopIfAbandoned();
    return true;
  }

  /** What the task produced, once advance() has returned true. */
  result(): MapResult {
    const { events, rowErrors, ctx, keyed } = this;
    if (!keyed) return { events, rowErrors, rows: encodeRows(this.rows) };
    const groups = this.sink ? this.sink.finish() : keyed.partial(this.rows, ctx, this.task.input ?? 0);
    const shares = splitByReducePartition(groups, this.reducePartitions).map((share) => encodeShare(share, ctx.maxEventTime));
    return { events, rowErrors, shares };
  }

  private stopIfAbandoned(): void {
    if (this.abandoned?.()) throw new TaskAbandonedError();
  }
}
