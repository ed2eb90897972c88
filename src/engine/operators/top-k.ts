/** topK: the k rows with the largest (or smallest) value of a field; ties broken by key, so output is deterministic. */
import type { Operator, Row } from "./operator.js";

export function topKOperator(k: number, by: string, order: "desc" | "asc"): Operator {
  const sign = order === "desc" ? -1 : 1;
  const valueOf = (row: Row): number => {
    const v = row[by];
    return typeof v === "number" ? v : order === "desc" ? -Infinity : Infinity;
  };
  const before = (a: Row, b: Row): number => sign * (valueOf(a) - valueOf(b)) || compareKeys(a.key, b.key);
  return {
    process(rows) {
      // One pass keeping the best k in order: O(n log k) instead of sorting all n rows.
      const best: Row[] = [];
      for (const row of rows) {
        if (best.length === k && before(row, best[k - 1]!) >= 0) continue;
        let lo = 0;
        let hi = best.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (before(best[mid]!, row) <= 0) lo = mid + 1;
          else hi = mid;
        }
        best.splice(lo, 0, row);
        if (best.length > k) best.pop();
      }
      return best;
    },
  };
}

function compareKeys(a: unknown, b: unknown): number {
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
