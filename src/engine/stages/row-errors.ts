import { RowBudgetExceededError } from "../expr/row-budget.js";

/** Rows dropped because a user expression failed on them: how many, and the last reason. */
export interface RowErrorReport {
  count: number;
  last?: string;
}

/** Counts a failed row; an expression over its budget is not a row error: it fails the job. */
export function rowErrorCollector(report: RowErrorReport): (error: Error) => void {
  return (error) => {
    if (error instanceof RowBudgetExceededError) throw error;
    report.count += 1;
    report.last = error.message;
  };
}

/** Adds `from` into `into`. */
export function addRowErrors(into: RowErrorReport, from: RowErrorReport): void {
  into.count += from.count;
  if (from.last !== undefined) into.last = from.last;
}
