/**
 * mapWithState: a state per key, moved on by a CEL transition for each of the key's rows (Spark's
 * mapWithState / updateStateByKey with user code). Runs in the reduce partition that owns the key, on
 * the key's rows in arrival order (input partition 0's, then 1's, ...; see keyed-rows.ts), so the
 * map side only groups rows by key.
 *
 * Per row, with `key` (null without a keyBy), `value` (the row) and `batchTime` bound:
 *
 *   state = init                  when the key has no state yet (`init` default: null)
 *   state = update                with `state` bound to the current state; null removes the state
 *   emit                          with `state` bound to the new state: the row to emit, or null
 *
 * Without `emit`, each key that got rows emits one row `{key, state}` after the batch. With `timeout`,
 * a key whose state was not updated for that long (in batch time) is removed, emitting `onTimeout`
 * (with `state` and `key` bound) once if given. A row on which an expression fails is a row error: it
 * is dropped and leaves the state as it was (a key whose rows all failed emits nothing and is not
 * counted as updated for its timeout).
 */
import { compileExpression, type CompiledExpression } from "../expr/cel-expression.js";
import type { Duration } from "../time.js";
import { ExpiringState, type ExpiringEntry } from "./expiring-state.js";
import type { Key } from "./key-by.js";
import { rowKey } from "./key-of.js";
import type { KeyedStage } from "./keyed-stage.js";
import { groupRows, rowsByKey } from "./keyed-rows.js";
import type { BatchContext, Row } from "./operator.js";
import { forField, StepFieldError } from "./step-field-error.js";

export interface MapWithStateSpec {
  readonly init?: string;
  readonly update: string;
  readonly emit?: string;
  readonly timeout?: Duration;
  readonly onTimeout?: string;
}

/** The variables each expression may use. */
export const MAP_WITH_STATE_VARIABLES = {
  init: ["key", "value", "batchTime"],
  update: ["state", "key", "value", "batchTime"],
  emit: ["state", "key", "value", "batchTime"],
  onTimeout: ["state", "key", "batchTime"],
} as const;

export function mapWithStateStage(spec: MapWithStateSpec): KeyedStage {
  const compile = (field: keyof typeof MAP_WITH_STATE_VARIABLES, source: string | undefined): CompiledExpression | undefined =>
    source === undefined ? undefined : forField(field, () => compileExpression(source, MAP_WITH_STATE_VARIABLES[field]));
  const init = compile("init", spec.init);
  const update = compile("update", spec.update)!;
  const emit = compile("emit", spec.emit);
  const onTimeout = compile("onTimeout", spec.onTimeout);
  if (spec.onTimeout !== undefined && spec.timeout === undefined) {
    throw new StepFieldError("onTimeout", "onTimeout needs \"timeout\": how long a key may go without rows before it times out, e.g. \"30s\"");
  }

  return {
    partial: (rows, ctx) => groupRows(rows, ctx, rowKey),
    reducer() {
      const states = new ExpiringState<unknown>(spec.timeout?.ms);
      return {
        reduce(partials, ctx) {
          const out: Row[] = [];
          const { batchTime } = ctx;
          for (const [key, rows] of rowsByKey(partials)) {
            const keyValue = key ?? null;
            let has = states.has(key);
            let state: unknown = states.get(key) ?? null;
            let updated = false;
            for (const value of rows) {
              try {
                const current = has ? state : init ? init({ key: keyValue, value, batchTime }) : null;
                const next = update({ state: current, key: keyValue, value, batchTime });
                const emitted = emit ? asRow(emit({ state: next, key: keyValue, value, batchTime }), "emit") : null;
                state = next;
                has = next !== null;
                updated = true;
                if (emitted) out.push(emitted);
              } catch (error) {
                ctx.onRowError(error instanceof Error ? error : new Error(String(error)));
              }
            }
            // A key whose every row failed keeps its state, and its idle time goes on.
            if (!updated) continue;
            if (has) states.set(key, state, batchTime);
            else states.delete(key);
            if (!emit) out.push(key === undefined ? { state: has ? state : null } : { key, state: has ? state : null });
          }
          for (const [key, state] of states.expire(batchTime)) timedOut(key, state, ctx, out);
          return out;
        },
        state: {
          snapshot: (): ExpiringEntry<unknown>[] => states.snapshot(),
          restore: (snapshot) => states.restore(snapshot as ExpiringEntry<unknown>[]),
          size: () => states.size,
          lookup: (key) => (states.has(key) ? { state: states.get(key) } : undefined),
        },
      };
    },
  };

  function timedOut(key: Key | undefined, state: unknown, ctx: BatchContext, out: Row[]): void {
    if (!onTimeout) return;
    try {
      const row = asRow(onTimeout({ state, key: key ?? null, batchTime: ctx.batchTime }), "onTimeout");
      if (row) out.push(row);
    } catch (error) {
      ctx.onRowError(error instanceof Error ? error : new Error(String(error)));
    }
  }
}

function asRow(value: unknown, field: string): Row | null {
  if (value === null) return null;
  if (typeof value === "object" && !Array.isArray(value)) return value as Row;
  throw new TypeError(`mapWithState ${field} must give a map (the row to emit) or null, got ${JSON.stringify(value)}`);
}
