/** Validates a request part with a zod schema; a failure becomes INVALID_REQUEST naming each field. */
import type { z } from "zod";
import { ApiError, type ErrorCode } from "../errors.js";

export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, where: string, code: ErrorCode = "INVALID_REQUEST"): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message }));
  const summary = problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join("; ");
  throw new ApiError(code, `${where} is not valid: ${summary}`, { problems });
}

/** Refuses any query parameter on a route that takes none (the contract: query strings are strict). */
export function noQuery(query: unknown): void {
  const names = Object.keys((query ?? {}) as object);
  if (names.length === 0) return;
  const problems = names.map((name) => ({ path: name, message: "unknown query parameter" }));
  throw new ApiError("INVALID_REQUEST", `query is not valid: this route takes no query parameters; remove ${names.map((n) => JSON.stringify(n)).join(", ")}`, { problems });
}
