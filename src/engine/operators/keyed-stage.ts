/**
 * The keyed step of a job (aggregate, window + aggregate, runningAggregate, countByValue, distinct,
 * the windowed counts, mapWithState, trainLogisticRegression), split the way a batch is run in
 * parallel:
 *
 *   map side      each input partition turns its rows into one Entry per key: pre-aggregated
 *                 (aggregations), the key's rows (mapWithState, see keyed-rows.ts), or the batch's
 *                 feature vectors (trainLogisticRegression, one global entry)
 *   shuffle       entries go to the reduce partition that owns their key (hash of the key)
 *   reduce side   each reduce partition merges the entries it got, in map-partition order, with the
 *                 state it keeps (window partials, running totals, user state, a model), and emits
 *                 its rows
 *
 * Pre-aggregating on the map side means only one entry per key and partition crosses threads.
 */
import { hashPartition } from "../partitioning.js";
import type { Groups } from "./aggregate-set.js";
import type { BatchContext, OperatorState, Row } from "./operator.js";

export interface KeyedStage {
  /**
   * Map side: one input partition's rows of this batch, aggregated per key. `input` is which of the
   * job's inputs they came from (0: its own; a join keeps the sides apart, the rest ignore it).
   */
  partial(rows: readonly Row[], ctx: BatchContext, input?: number): Groups;
  /**
   * Map side, where the stage can: the same partial, built from rows handed over one at a time as
   * the narrow steps make them, so that a task never holds all its rows at once.
   */
  partialSink?(ctx: BatchContext, input?: number): PartialSink;
  /** The reduce side of one partition, with empty state. */
  reducer(partition: number): KeyedReducer;
  /**
   * The order of the stage's rows across the whole batch, when it promises one (eventWindow: by
   * window, then key). Each reduce partition emits its rows in it, and the final stage merges the
   * partitions' rows by it; without it, rows come in partition order.
   */
  readonly order?: (a: Row, b: Row) => number;
  /**
   * True for a window with `emit: "changes"`: each slide's rows are only what changed, so a slide
   * where nothing did produces no frame (see final-stage.ts).
   */
  readonly emitsChanges?: boolean;
}

/** Takes a map task's rows one by one; `finish` gives their partial groups. */
export interface PartialSink {
  /** Throws when the row's value for the stage is wrong (the row then adds nothing). */
  readonly add: (row: Row) => void;
  finish(): Groups;
}

export interface KeyedReducer {
  /**
   * Merges this batch's partials (one per map partition, in order); null when nothing is due. The
   * partials are handed over: the reducer may keep or change them.
   */
  reduce(partials: readonly Groups[], ctx: BatchContext): Row[] | null;
  readonly state?: OperatorState;
}

/** The reduce partition of a key. Rows with no key (no keyBy) all meet in partition 0. */
export function reducePartitionOf(key: unknown, partitions: number): number {
  return key === undefined ? 0 : hashPartition(key, partitions);
}

/** Splits one map partition's groups by the reduce partition that owns each key. */
export function splitByReducePartition(groups: Groups, partitions: number): Groups[] {
  const shares: Groups[] = Array.from({ length: partitions }, () => new Map());
  for (const [key, entry] of groups) shares[reducePartitionOf(key, partitions)]!.set(key, entry);
  return shares;
}
