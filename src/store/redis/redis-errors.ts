/**
 * How a failed Redis call is reported to the engine. The rule: whenever we cannot tell that Redis did
 * what was asked, the caller gets StoreUnavailableError (the API answers 503 and the client retries,
 * which its Idempotency-Key makes safe); errors that are the caller's fault stay plain errors.
 */
import { FencedError, StoreUnavailableError } from "../types.js";
import { SCRIPT_ERROR_PREFIX } from "./scripts/redis-script.js";

/**
 * Error replies that mean "Redis cannot take this right now", not "this request is wrong": out of
 * memory under noeviction, loading its data, a failing disk, a replica, a long script, a cluster in
 * trouble.
 */
const UNAVAILABLE_REPLIES = ["OOM", "LOADING", "MISCONF", "READONLY", "BUSY", "MASTERDOWN", "NOREPLICAS", "TRYAGAIN", "CLUSTERDOWN", "NOSCRIPT"];

/** An error reply raised on purpose by one of our scripts: its code and the text after it. */
export interface ScriptError {
  readonly code: string;
  readonly detail: string;
}

/** The script error in `error`, if it is one ("TRIB_SEQ 7" -> {code: "SEQ", detail: "7"}). */
export function scriptError(error: unknown): ScriptError | undefined {
  if (!isReplyError(error)) return undefined;
  const match = new RegExp(`^(?:ERR )?${SCRIPT_ERROR_PREFIX}([A-Z_]+) ?(.*)$`, "s").exec(error.message);
  return match === null ? undefined : { code: match[1]!, detail: match[2]! };
}

/** Turns what ioredis threw while doing `what` into the error the store reports. */
export function storeError(what: string, error: unknown): Error {
  if (isReplyError(error)) {
    const code = error.message.split(" ", 1)[0] ?? "";
    if (!UNAVAILABLE_REPLIES.includes(code)) return error; // our bug or the caller's, not Redis's state
  }
  if (error instanceof StoreUnavailableError || error instanceof FencedError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new StoreUnavailableError(`Redis cannot ${what} right now: ${reason}`);
}

function isReplyError(error: unknown): error is Error {
  return error instanceof Error && error.name === "ReplyError";
}
