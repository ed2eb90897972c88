/**
 * Where the engine (and the worker pool) tell an operator what happened to jobs, workers and the
 * store. A small port, so that the engine knows no logging library: main.ts hands in the API's pino
 * logger, whose `info(fields, message)` and `warn(fields, message)` fit it as they are. Fields hold
 * names, counts and causes; never events, keys or request bodies.
 */
export interface OperatorLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** For engines and pools nobody listens to (most tests). */
export const SILENT_LOG: OperatorLog = { info: () => undefined, warn: () => undefined };
