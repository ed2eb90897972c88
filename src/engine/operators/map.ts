/** map: computes fields (`set`, keeping the others) or builds a new row of only the named fields (`project`). */
import { perRow, type Operator, type Row } from "./operator.js";
import { compileRowExpression, type RowExpression } from "./row-expression.js";

export function mapOperator(fields: Readonly<Record<string, string>>, keepOthers: boolean): Operator {
  const computed: [string, RowExpression][] = Object.entries(fields).map(([name, source]) => [name, compileRowExpression(source)]);
  return {
    process: (rows, ctx) =>
      perRow(rows, ctx, (row, out) => {
        const next: Row = keepOthers ? { ...row } : {};
        for (const [name, evaluate] of computed) next[name] = evaluate(row);
        out.push(next);
      }),
  };
}
