/**
 * flatMap: a CEL expression gives a list per row; each element becomes a row. With `as`, the element is
 * the value of that one field; without it, an element must itself be an object and becomes the row.
 */
import { narrowOperator, type NarrowOperator, type Row } from "./operator.js";
import { compileRowExpression } from "./row-expression.js";

export function flatMapOperator(expr: string, as: string | undefined): NarrowOperator {
  const elements = compileRowExpression(expr);
  return narrowOperator(() => (row, emit) => {
    const list = elements(row);
    if (!Array.isArray(list)) throw new TypeError(`flatMap expression must give a list, got ${JSON.stringify(list)}`);
    for (const element of list) {
      if (as !== undefined) emit({ [as]: element });
      else if (element !== null && typeof element === "object" && !Array.isArray(element)) emit(element as Row);
      else throw new TypeError("flatMap without \"as\" needs a list of objects; add \"as\": \"name\" to name each element");
    }
  });
}
