/**
 * A map task's narrow steps, fused: each event goes through every step and on to what consumes the
 * rows (the keyed stage's partial, or the task's output) before the next event is read, instead of
 * every step making an array of the whole task's rows for the next. Rows then die young, which keeps
 * the garbage collector's work — shared by every worker thread on the machine's cores — small.
 *
 * Errors stay where they were: each link catches what its own step throws for a row and reports it
 * through `ctx.onRowError` (the rows it emitted for that row before stay emitted), so a row is
 * dropped by exactly the step that fails on it, as when the steps run one after the other.
 */
import { asError, TaskAbandonedError, type BatchContext, type Emit, type NarrowOperator, type RowStep } from "../operators/operator.js";

/** One function that takes a row through `operators` into `sink`; it reports row errors and never throws them. */
export function rowChain(operators: readonly NarrowOperator[], ctx: BatchContext, sink: Emit): Emit {
  let next = guardedSink(sink, ctx);
  for (let i = operators.length - 1; i >= 0; i--) next = guardedStep(operators[i]!.eachRow(ctx), next, ctx);
  return next;
}

function guardedStep(step: RowStep, downstream: Emit, ctx: BatchContext): Emit {
  return (row) => {
    try {
      step(row, downstream);
    } catch (error) {
      rowFailed(error, ctx);
    }
  };
}

function guardedSink(sink: Emit, ctx: BatchContext): Emit {
  return (row) => {
    try {
      sink(row);
    } catch (error) {
      rowFailed(error, ctx);
    }
  };
}

function rowFailed(error: unknown, ctx: BatchContext): void {
  if (error instanceof TaskAbandonedError) throw error;
  ctx.onRowError(asError(error));
}
