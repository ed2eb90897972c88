/**
 * sample: keeps about `fraction` of the rows, chosen deterministically so that recomputing a batch
 * keeps the same rows. A row is kept when
 *
 *   hash(JSON text of the row, seed, batch time) / 2^53  <  fraction
 *
 * so the choice depends only on the row's content, the seed and the batch: not on the partition the
 * row arrived in or its position. Identical rows in one batch are therefore kept or dropped together;
 * add a distinguishing field (an id, a timestamp) to sample them independently.
 */
import { hashText, unitInterval } from "./content-hash.js";
import { narrowOperator, type NarrowOperator } from "./operator.js";

export function sampleOperator(fraction: number, seed: number): NarrowOperator {
  return narrowOperator((ctx) => (row, emit) => {
    if (unitInterval(hashText(`${ctx.batchTime}|${JSON.stringify(row)}`, seed)) < fraction) emit(row);
  });
}
