/**
 * The operator contract. A job is a chain of operators; each turns one batch's rows into the rows it
 * passes on. Stateful operators keep their state inside, expose it for checkpoints, and must give the
 * same output for the same (batch, state) — that is what makes a batch recomputable.
 */
import type { Interval } from "../time.js";
import type { Key } from "./key-by.js";

/** One record flowing through a job: a JSON object. After keyBy, its `key` field holds the key. */
export type Row = Record<string, unknown>;

/** What an operator knows about the batch it is processing. */
export interface BatchContext {
  readonly batchTime: number;
  /** Set by a windowed operator: the span of time its output covers. */
  window?: Interval;
  /** Called when a user expression fails on one row; that row is dropped, the job goes on. */
  readonly onRowError: (error: Error) => void;
  /** Map side: set by an event-time step to the largest event time among this partition's rows. */
  maxEventTime?: number;
  /** Reduce side: the largest event time among the whole batch's rows (every map partition's), if any. */
  readonly batchMaxEventTime?: number;
  /** Reduce side: set by an event-time step to the number of events it dropped as late. */
  lateEvents?: number;
  /** Reduce side: set by an event-time step to its watermark after this batch (event time, ms), once it has one. */
  watermark?: number;
  /**
   * Map side: true once nobody wants this task's result any more (its speculative twin finished
   * first). Long loops then stop early by throwing TaskAbandonedError, so the worker is free sooner.
   */
  readonly abandoned?: () => boolean;
}

/** Thrown out of a map task whose result is no longer wanted (see BatchContext.abandoned). */
export class TaskAbandonedError extends Error {
  override readonly name = "TaskAbandonedError";

  constructor(why = "its speculative twin finished first") {
    super(`map task abandoned: ${why}`);
  }
}

/** How many rows a loop handles between two looks at `abandoned`. */
export const ABANDON_CHECK_ROWS = 1024;

export interface Operator {
  /**
   * Rows of this batch in, rows out. `null` means "nothing to emit at this batch time" (e.g. a window
   * between two slides): the steps after it do not run and no result frame is produced.
   */
  process(rows: Row[], ctx: BatchContext): Row[] | null;
  /** Present on stateful operators: their state as plain data, for checkpoints, and its size in keys. */
  readonly state?: OperatorState;
}

/** Passes one row on to whatever comes next. */
export type Emit = (row: Row) => void;

/**
 * The per-row form of a narrow step for one batch: handles one row and emits what it makes of it, in
 * order. It throws when the row's user expression fails; what it emitted for the row before that stays.
 */
export type RowStep = (row: Row, emit: Emit) => void;

/**
 * A narrow step (map, filter, flatMap, keyBy, sample): each row on its own. Besides `process`, it
 * gives its per-row form, so that the map stage can run a chain of them row by row without an array
 * between two steps (see stages/row-chain.ts).
 */
export interface NarrowOperator extends Operator {
  eachRow(ctx: BatchContext): RowStep;
}

/** A narrow operator from its per-row form; `process` runs it over an array (see forEachRow). */
export function narrowOperator(eachRow: (ctx: BatchContext) => RowStep): NarrowOperator {
  return {
    eachRow,
    process(rows, ctx) {
      const step = eachRow(ctx);
      const out: Row[] = [];
      const emit: Emit = (row) => {
        out.push(row);
      };
      forEachRow(rows, ctx, (row) => step(row, emit));
      return out;
    },
  };
}

export interface OperatorState {
  snapshot(): unknown;
  restore(snapshot: unknown): void;
  /** Number of keys (or entries) held, for the job's progress report. */
  size(): number;
  /**
   * What the state holds for one key (`undefined`: the global group), as JSON for a live state query
   * (GET /v1/jobs/:id/state); undefined when it holds nothing for the key.
   */
  lookup?(key: Key | undefined): unknown;
}

/**
 * Runs `emit` for every row, collecting what it pushes. A row whose user expression fails is reported
 * through `ctx.onRowError` and dropped, so one bad event cannot stop a job.
 */
export function perRow(rows: readonly Row[], ctx: BatchContext, emit: (row: Row, out: Row[]) => void): Row[] {
  const out: Row[] = [];
  forEachRow(rows, ctx, (row) => emit(row, out));
  return out;
}

/**
 * Runs `handle` for every row. A row it throws for is reported through `ctx.onRowError` and skipped;
 * every 1,024 rows the loop looks whether the task was abandoned (TaskAbandonedError).
 */
export function forEachRow(rows: readonly Row[], ctx: BatchContext, handle: (row: Row) => void): void {
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if ((i & (ABANDON_CHECK_ROWS - 1)) === ABANDON_CHECK_ROWS - 1 && ctx.abandoned?.()) throw new TaskAbandonedError();
    try {
      handle(row);
    } catch (error) {
      ctx.onRowError(asError(error));
    }
  }
}

export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
