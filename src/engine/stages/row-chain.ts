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
import { asError, TaskAbandonedError, type BatchContext, type Emit, type NarrowOperator } from "../operators/operator.js";

/** One function that takes a row through `operators` into `sink`; it reports row errors and never throws them. */
export function rowChain(operators: readonly NarrowOperator[], ctx: BatchContext, sink: Emit): Emit {
  let next = guarded(sink, ctx);
  for (let i = operators.length - 1; i >= 0; i--) {
    const step = operators[i]!.eachRow(ctx);
    const downstream = next;
    next = guarded((row) => step(row, downstream), ctx);
  }
  return next;
}

function guarded(handle: Emit, ctx: BatchContext): Emit {
  return (row) => {
    try {
      handle(row);
    } catch (error) {
      if (error instanceof TaskAbandonedError) throw error;
      ctx.onRowError(asError(error));
    }
  };
}
