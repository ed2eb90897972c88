/**
 * sort: orders the batch's rows by one field, ascending or descending, optionally keeping the first
 * `limit`. Runs on the whole batch (final stage). Ascending, numbers come first, then strings (by
 * UTF-16 code units), then booleans (false first); descending is the exact reverse. Rows whose field
 * is missing, null or not a scalar come last in either order. Ties are broken by `key`, then by the
 * row's JSON text, so the output is the same however the batch was partitioned.
 */
import type { Operator, Row } from "./operator.js";

interface Ranked {
  readonly row: Row;
  /** 0 numbers, 1 strings, 2 booleans, 3 the rest (always last). */
  readonly kind: number;
  readonly value: number | string | boolean;
  text?: string;
}

export function sortOperator(by: string, order: "asc" | "desc", limit: number | undefined): Operator {
  const sign = order === "asc" ? 1 : -1;
  const byField = (a: Ranked, b: Ranked): number => {
    if (a.kind === OTHER || b.kind === OTHER) return a.kind - b.kind;
    return sign * (a.kind - b.kind || compare(a.value, b.value));
  };
  const tieBreak = (a: Ranked, b: Ranked): number =>
    compare(String(a.row.key), String(b.row.key)) || compare((a.text ??= JSON.stringify(a.row)), (b.text ??= JSON.stringify(b.row)));
  return {
    process(rows) {
      const sorted = rows.map((row) => rank(row, by)).sort((a, b) => byField(a, b) || tieBreak(a, b));
      return (limit === undefined ? sorted : sorted.slice(0, limit)).map((r) => r.row);
    },
  };
}

const OTHER = 3;

function rank(row: Row, by: string): Ranked {
  const value = row[by];
  if (typeof value === "number" && !Number.isNaN(value)) return { row, kind: 0, value };
  if (typeof value === "string") return { row, kind: 1, value };
  if (typeof value === "boolean") return { row, kind: 2, value };
  return { row, kind: OTHER, value: 0 };
}

function compare(a: number | string | boolean, b: number | string | boolean): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
