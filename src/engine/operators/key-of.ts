/**
 * How a keyed stage picks the group of a row: its `key` field (set by keyBy), one group for the whole
 * stream (countByWindow, reduceByWindow, trainLogisticRegression), or a CEL expression (countByValue,
 * distinct).
 */
import { isKey, type Key } from "./key-by.js";
import type { Row } from "./operator.js";
import { compileRowExpression } from "./row-expression.js";

/** The group of a row; `undefined` is the one global group (reduce partition 0). */
export type KeyOf = (row: Row) => Key | undefined;

export const rowKey: KeyOf = (row) => row.key as Key | undefined;

export const globalKey: KeyOf = () => undefined;

/**
 * Grouping for an aggregation: by the `key` keyBy set, or — with no keyBy before it — all rows in one
 * group, even rows that happen to carry a field named `key` (e.g. another job's output).
 */
export function groupingOf(keyed: boolean): KeyOf {
  return keyed ? rowKey : globalKey;
}

/** Groups by the value of a CEL expression, which must be a scalar (else the row is a row error). */
export function keyOfExpression(source: string, what: string): KeyOf {
  const valueOf = compileRowExpression(source);
  return (row) => {
    const key = valueOf(row);
    if (!isKey(key)) throw new TypeError(`${what} must give a string, number, boolean or null, got ${JSON.stringify(key)}`);
    return key;
  };
}
