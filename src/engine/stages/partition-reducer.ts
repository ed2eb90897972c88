/**
 * The reduce side of one partition of a keyed job: it owns the partition's state, merges each batch's
 * shares into it, and can be snapshotted and restored between batches.
 */
import type { KeyedReducer } from "../operators/keyed-stage.js";
import type { BatchContext, Operator } from "../operators/operator.js";
import type { JobPlan } from "../query/compile-job.js";
import type { ReduceResult, ReduceTask, StateLookup } from "../task-runner.js";
import type { Key } from "../operators/key-by.js";
import { rowErrorCollector, type RowErrorReport } from "./row-errors.js";
import { decodeShare, decodeState, encodeRows, encodeState } from "./shuffle-codec.js";


export class PartitionReducer {
  private readonly reducer: KeyedReducer;
  private readonly pushedDown: Operator[];

  constructor(plan: JobPlan, partition: number) {
    const keyed = plan.keyed();
    if (!keyed) throw new Error(`job ${plan.definition.name} has no keyed step to reduce`);
    this.reducer = keyed.reducer(partition);
    this.pushedDown = plan.reduceOperators();
  }

  run(task: ReduceTask): ReduceResult {
    const rowErrors: RowErrorReport = { count: 0 };
    const shares = task.shares.map(decodeShare);
    const times = shares.flatMap((s) => (s.maxEventTime === undefined ? [] : [s.maxEventTime]));
    const ctx: BatchContext = {
      batchTime: task.batchTime,
      onRowError: rowErrorCollector(rowErrors),
      ...(times.length > 0 ? { batchMaxEventTime: Math.max(...times) } : {}),
    };
    let rows = this.reducer.reduce(
      shares.map((s) => s.groups),
      ctx,
    );
    for (const operator of this.pushedDown) rows = rows === null ? null : operator.process(rows, ctx);
    const stateSize = this.reducer.state?.size() ?? 0;
    const lateEvents = ctx.lateEvents ?? 0;
    const watermark = ctx.watermark === undefined ? {} : { watermark: ctx.watermark };
    if (rows === null) return { emitted: false, rows: encodeRows([]), window: null, stateSize, rowErrors, lateEvents, ...watermark };
    return { emitted: true, rows: encodeRows(rows), window: ctx.window ?? null, stateSize, rowErrors, lateEvents, ...watermark };
  }

  /** Whether this partition keeps state from batch to batch (so it can be queried). */
  get stateful(): boolean {
    return this.reducer.state !== undefined;
  }

  /** What the state holds for `key`, as JSON; found false when nothing. */
  lookup(key: Key | undefined): StateLookup {
    const state = this.reducer.state?.lookup?.(key);
    return state === undefined ? { found: false, state: null } : { found: true, state };
  }

  snapshot(): Uint8Array {
    return encodeState(this.reducer.state?.snapshot() ?? null);
  }

  restore(snapshot: Uint8Array): void {
    this.reducer.state?.restore(decodeState(snapshot));
  }
}
