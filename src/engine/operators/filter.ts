/** filter: keeps the rows for which a CEL condition is true. */
import { perRow, type Operator } from "./operator.js";
import { compileRowExpression } from "./row-expression.js";

export function filterOperator(where: string): Operator {
  const condition = compileRowExpression(where);
  return {
    process: (rows, ctx) =>
      perRow(rows, ctx, (row, out) => {
        const keep = condition(row);
        if (typeof keep !== "boolean") throw new TypeError(`filter condition must give true or false, got ${JSON.stringify(keep)}`);
        if (keep) out.push(row);
      }),
  };
}
