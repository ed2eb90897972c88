/**
 * A Nexmark answer is a multiset of rows (the order in which a batch's rows come out is not part of
 * the answer, as it is not for Flink's sink). Rows are compared by their JSON text with the keys in
 * order; `answerDifference` names the first row one side has more of than the other.
 */
import type { Row } from "../corpus.js";

export function canonical(row: Row): string {
  return JSON.stringify(Object.keys(row).sort().map((k) => [k, row[k]]));
}

function counts(rows: readonly Row[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of rows) {
    const k = canonical(r);
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

/** Where `actual` differs from `expected`, in words; undefined when they hold the same rows. */
export function answerDifference(expected: readonly Row[], actual: readonly Row[]): string | undefined {
  const e = counts(expected);
  const a = counts(actual);
  const show = (row: string) => (row.length > 200 ? `${row.slice(0, 200)}…` : row);
  for (const [row, n] of e) {
    const got = a.get(row) ?? 0;
    if (got < n) return `expected ${expected.length} rows, got ${actual.length}; missing ${n - got} of ${show(row)}`;
  }
  for (const [row, n] of a) {
    const want = e.get(row) ?? 0;
    if (want < n) return `expected ${expected.length} rows, got ${actual.length}; ${n - want} unexpected ${show(row)}`;
  }
  return undefined;
}
