/**
 * The steps after the keyed one (topK, a second aggregate, ...), on the whole batch's rows: the reduce
 * partitions' rows, in partition order or merged by the order the keyed step promises.
 */
import type { BatchContext, Operator, Row } from "../operators/operator.js";
import type { JobPlan } from "../query/compile-job.js";
import type { Interval } from "../time.js";
import { rowErrorCollector, type RowErrorReport } from "./row-errors.js";

export class FinalStage {
  private readonly operators: Operator[];
  private readonly order: ((a: Row, b: Row) => number) | undefined;
  /** A window that emits only its changes: a slide with none makes no frame (an idle job writes nothing). */
  private readonly changesOnly: boolean;

  constructor(plan: JobPlan) {
    this.operators = plan.finalOperators();
    const keyed = plan.keyed();
    this.order = keyed?.order;
    this.changesOnly = keyed?.emitsChanges === true;
  }

  /** Null when a step has nothing to emit at this batch time. */
  run(batchTime: number, rows: Row[], window: Interval | null, rowErrors: RowErrorReport): Row[] | null {
    const ctx: BatchContext = { batchTime, onRowError: rowErrorCollector(rowErrors), ...(window ? { window } : {}) };
    // Each partition's rows are already in order, so the sort only merges sorted runs.
    let out = this.order ? rows.sort(this.order) : rows;
    for (const operator of this.operators) {
      const next = operator.process(out, ctx);
      if (next === null) return null;
      out = next;
    }
    return this.changesOnly && out.length === 0 ? null : out;
  }
}
