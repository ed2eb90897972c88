/** keyBy: sets each row's `key` field from a CEL expression; aggregations group by it. */
import { narrowOperator, type NarrowOperator } from "./operator.js";
import { compileRowExpression } from "./row-expression.js";

/** Keys must be scalars so that they group and compare the same way in every process. */
export type Key = string | number | boolean | null;

export function isKey(value: unknown): value is Key {
  const type = typeof value;
  return value === null || type === "string" || type === "number" || type === "boolean";
}

export function keyByOperator(expr: string): NarrowOperator {
  const keyOf = compileRowExpression(expr);
  return narrowOperator(() => (row, emit) => {
    const key = keyOf(row);
    if (!isKey(key)) throw new TypeError(`keyBy must give a string, number, boolean or null, got ${JSON.stringify(key)}`);
    // Each row object flows through the steps once, so setting its key in place is safe and saves
    // a copy per row.
    row.key = key;
    emit(row);
  });
}
