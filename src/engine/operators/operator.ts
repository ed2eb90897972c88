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
  /**
   * Map side: true once nobody wants this task's result any more (its speculative twin finished
   * first). Long loops then stop early by throwing TaskAbandonedError, so the worker is free sooner.
   */
  readonly abandoned?: () => boolean;
}

/** Thrown out of a map task whose result is no longer wanted (see BatchContext.abandoned). */
export class TaskAbandonedError extends Error {
  override readonly name = "TaskAbandonedError";

  constructor() {
    super("map task abandoned: its speculative twin finished first");
  }
}

/** How many rows a loop handles between two looks at `abandoned`. */
const ABANDON_CHECK_ROWS = 1024;

export interface Operator {
  /**
   * Rows of this batch in, rows out. `null` means "nothing to emit at this batch time" (e.g. a window
   * between two slides): the steps after it do not run and no result frame is produced.
   */
  process(rows: Row[], ctx: BatchContext): Row[] | null;
  /** Present on stateful operators: their state as plain data, for checkpoints, and its size in keys. */
  readonly state?: OperatorState;
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
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if ((i & (ABANDON_CHECK_ROWS - 1)) === ABANDON_CHECK_ROWS - 1 && ctx.abandoned?.()) throw new TaskAbandonedError();
    try {
      emit(row, out);
    } catch (error) {
      ctx.onRowError(error instanceof Error ? error : new Error(String(error)));
    }
  }
  return out;
}
