/** filter: keeps the rows for which a CEL condition is true. */
import { narrowOperator, type NarrowOperator } from "./operator.js";
import { compileRowExpression } from "./row-expression.js";

export function filterOperator(where: string): NarrowOperator {
  const condition = compileRowExpression(where);
  return narrowOperator(() => (row, emit) => {
    const keep = condition(row);
    if (typeof keep !== "boolean") throw new TypeError(`filter condition must give true or false, got ${JSON.stringify(keep)}`);
    if (keep) emit(row);
  });
}
