/**
 * countByValue, countByValueAndWindow and distinct: aggregations keyed by the value of an expression
 * rather than by an earlier keyBy, so they read as one step.
 *
 *   countByValue           {key: value, count} per distinct value of `of` in the batch
 *   countByValueAndWindow  the same over a sliding window (count is invertible: O(batch) per slide)
 *   distinct               {key: value} per distinct value of `of` (default: the row's key) in the batch
 */
import { aggregateStage } from "./aggregate.js";
import { keyOfExpression, rowKey, type KeyOf } from "./key-of.js";
import type { KeyedStage } from "./keyed-stage.js";
import { forField } from "./step-field-error.js";
import { windowAggregateStage, type WindowSpec } from "./window-aggregate.js";
import type { WindowEmit } from "./window-changes.js";

const COUNT = { count: { fn: "count" } } as const;

function valueKey(of: string, op: string): KeyOf {
  return forField("of", () => keyOfExpression(of, `${op} "of"`));
}

export function countByValueStage(of: string): KeyedStage {
  return aggregateStage(COUNT, { keyed: true, keyOf: valueKey(of, "countByValue") });
}

export function countByValueAndWindowStage(of: string, spec: WindowSpec, emit: WindowEmit = "all"): KeyedStage {
  return windowAggregateStage(spec, COUNT, { keyed: true, keyOf: valueKey(of, "countByValueAndWindow"), emit });
}

export function distinctStage(of: string | undefined): KeyedStage {
  return aggregateStage({}, { keyed: true, keyOf: of === undefined ? rowKey : valueKey(of, "distinct") });
}
