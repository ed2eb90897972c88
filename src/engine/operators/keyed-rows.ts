/**
 * Rows shuffled per key, for the keyed steps that cannot pre-aggregate on the map side (mapWithState
 * runs user code per row, in order). They ride in the ordinary shuffle payload: one Entry per key,
 * whose `vals[0]` is the key's rows in arrival order and `rows` their number, so the map stage, the
 * shuffle codec and the reduce stage need no second format.
 */
import type { Entry, Groups } from "./aggregate-set.js";
import type { Key } from "./key-by.js";
import type { KeyOf } from "./key-of.js";
import { perRow, type BatchContext, type Row } from "./operator.js";

/** Map side: one batch's rows of one input partition, grouped by key, in arrival order. */
export function groupRows(rows: readonly Row[], ctx: BatchContext, keyOf: KeyOf): Groups {
  const groups: Groups = new Map();
  perRow(rows, ctx, (row) => {
    const key = keyOf(row);
    let entry = groups.get(key);
    if (!entry) groups.set(key, (entry = { key, rows: 0, acc: [], vals: [[]] }));
    entry.rows += 1;
    (entry.vals![0] as Row[]).push(row);
  });
  return groups;
}

/**
 * Reduce side: the partials of one batch (in map-partition order) as rows per key: partition 0's rows
 * of a key, then partition 1's, and so on. Keys come in the order they first appear.
 */
export function rowsByKey(partials: readonly Groups[]): Map<Key | undefined, Row[]> {
  const byKey = new Map<Key | undefined, Row[]>();
  for (const partial of partials) {
    for (const [key, entry] of partial) {
      const rows = rowsOfEntry(entry);
      const held = byKey.get(key);
      if (held) for (const row of rows) held.push(row);
      else byKey.set(key, [...rows]);
    }
  }
  return byKey;
}

function rowsOfEntry(entry: Entry): readonly Row[] {
  return (entry.vals?.[0] as Row[] | undefined) ?? [];
}
