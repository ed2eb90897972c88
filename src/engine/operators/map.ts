/** map: computes fields (`set`, keeping the others) or builds a new row of only the named fields (`project`). */
import { narrowOperator, type NarrowOperator, type Row } from "./operator.js";
import { compileRowExpression, type RowExpression } from "./row-expression.js";

export function mapOperator(fields: Readonly<Record<string, string>>, keepOthers: boolean): NarrowOperator {
  const computed: [string, RowExpression][] = Object.entries(fields).map(([name, source]) => [name, compileRowExpression(source)]);
  return narrowOperator(() => (row, emit) => {
    const next: Row = keepOthers ? { ...row } : {};
    for (const [name, evaluate] of computed) next[name] = evaluate(row);
    emit(next);
  });
}
