import { RowBudgetExceededError } from "../expr/row-budget.js";

/** Rows dropped because a user expression failed on them: how many, and the first and last reasons. */
export interface RowErrorReport {
  count: number;
  /** The first failed row's message: the one to fix first (later rows often fail for its reason). */
  first?: string;
  last?: string;
}

/** Counts a failed row; an expression over its budget is not a row error: it fails the job. */
export function rowErrorCollector(report: RowErrorReport): (error: Error) => void {
  return (error) => {
    if (error instanceof RowBudgetExceededError) throw error;
    report.count += 1;
    report.first ??= error.message;
    report.last = error.message;
  };
}

/** Adds `from` into `into`. */
export function addRowErrors(into: RowErrorReport, from: RowErrorReport): void {
  into.count += from.count;
  if (into.first === undefined && from.first !== undefined) into.first = from.first;
  if (from.last !== undefined) into.last = from.last;
}
