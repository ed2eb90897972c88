/**
 * The run-time budget of a user expression: one evaluation, on one row, may take at most
 * ROW_BUDGET_MS of the thread's time. Past it, the row is not counted as a row error: its job is failed
 * (a job whose expressions cost seconds a row would hold a worker that other jobs' tasks wait for),
 * with a reason that names the step (see query/expression-path.ts).
 *
 * The budget is wall time on the thread that evaluates, so it is generous: a healthy expression takes
 * microseconds. A machine kept very busy by other processes can still keep a thread from its core for
 * a second now and then, so a row over the budget is evaluated again (an expression has no side
 * effects), and the job fails only when every one of ROW_BUDGET_ATTEMPTS evaluations was over it.
 */
export const ROW_BUDGET_MS = 1000;

/** Evaluations of one row that must all exceed ROW_BUDGET_MS before its expression is held to be too costly. */
export const ROW_BUDGET_ATTEMPTS = 3;

const MARK = "over its per-row budget: ";

export class RowBudgetExceededError extends Error {
  override readonly name = "RowBudgetExceededError";
  constructor(
    readonly expression: string,
    readonly tookMs: number,
  ) {
    super(`an expression took ${tookMs} ms on one row, ${ROW_BUDGET_MS} ms ${MARK}${JSON.stringify(expression)}`);
  }
}

/** The expression and time a RowBudgetExceededError's message names (it crosses threads as text). */
export function parseRowBudgetMessage(message: string): { expression: string; tookMs: number } | undefined {
  const at = message.indexOf(MARK);
  const took = /took (\d+) ms on one row/.exec(message);
  if (at < 0 || !took) return undefined;
  try {
    return { expression: JSON.parse(message.slice(at + MARK.length)) as string, tookMs: Number(took[1]) };
  } catch {
    return undefined;
  }
}
