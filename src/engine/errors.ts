/**
 * Errors the engine raises for a user's mistake. Each carries a stable code that the API's error
 * catalogue maps to an HTTP status; the message says what was wrong and how to fix it.
 */
export type EngineErrorCode =
  | "INVALID_JOB"
  | "INVALID_STREAM"
  | "INVALID_EVENT"
  | "INVALID_BODY"
  | "UNKNOWN_JOB"
  | "UNKNOWN_STREAM"
  | "STREAM_EXISTS"
  | "STREAM_IN_USE"
  | "JOB_EXISTS"
  | "JOB_NOT_RUNNING"
  | "INCOMPATIBLE_UPGRADE"
  | "NO_MODEL"
  | "NO_STATE"
  | "STORE_UNAVAILABLE"
  | "OVERLOADED";

/** One problem with a definition, located by its JSON path (e.g. `steps[2].expr`). */
export interface Problem {
  readonly path: string;
  readonly message: string;
}

export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "EngineError";
  }
}

/** Formats a path such as ["steps", 2, "expr"] as `steps[2].expr`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, part) => {
    if (typeof part === "number") return `${out}[${part}]`;
    return out === "" ? String(part) : `${out}.${String(part)}`;
  }, "");
}

/** INVALID_JOB listing every problem, each as `path: message`, then `fix` when given. */
export function invalidJob(problems: readonly Problem[], fix?: string): EngineError {
  const summary = problems.map((p) => `${p.path || "(body)"}: ${p.message}`).join("; ");
  return new EngineError("INVALID_JOB", `job definition is not valid: ${summary}${fix ? `; ${fix}` : ""}`, { problems });
}
