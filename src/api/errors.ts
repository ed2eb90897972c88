/**
 * The one error catalogue: every error a client can get, with a stable code and its HTTP status.
 * Errors are sent as {error: {code, message, details?}}; openapi.yaml lists every code (a test checks).
 */
export const ERROR_CATALOGUE = {
  INVALID_BODY: { status: 400, description: "The body is not valid JSON (or NDJSON), or is empty." },
  INVALID_REQUEST: { status: 400, description: "A path parameter, query parameter or body field is out of range or of the wrong type." },
  INVALID_JOB: { status: 400, description: "The job definition is not valid; details.problems lists each problem with its JSON path." },
  INVALID_STREAM: { status: 400, description: "The stream declaration is not valid." },
  INVALID_EVENT: { status: 400, description: "An event is not acceptable (not an object, missing its key or event-time field, past an event limit); details names its index or line." },
  UNAUTHORIZED: { status: 401, description: "No API key, or one that is not known; send \"Authorization: Bearer <key>\"." },
  FORBIDDEN: { status: 403, description: "The key's role does not allow this route (reader: read and subscribe; writer: also ingest; admin: everything)." },
  UNKNOWN_JOB: { status: 404, description: "No job has this id." },
  NO_MODEL: { status: 404, description: "The job has no trainLogisticRegression step, so it has no model." },
  NO_STATE: { status: 404, description: "The job keeps no state from batch to batch, so there is no state to query." },
  UNKNOWN_STREAM: { status: 404, description: "No stream has this name." },
  NOT_FOUND: { status: 404, description: "No such route (also a known path with a method it does not have)." },
  STREAM_EXISTS: { status: 409, description: "A stream with this name already exists." },
  STREAM_IN_USE: { status: 409, description: "The stream is read by a job; delete the job first." },
  JOB_EXISTS: { status: 409, description: "A job with this name already exists." },
  JOB_NOT_RUNNING: { status: 409, description: "The job is not in a state that allows this (e.g. pausing a paused job)." },
  INCOMPATIBLE_UPGRADE: { status: 409, description: "The job's state cannot be kept under its new definition (PUT /v1/jobs/:id); details.differences names each difference by path. Nothing changed; send \"state\": \"reset\" to start it with empty state." },
  QUOTA_EXCEEDED: { status: 429, description: "A tenant quota (streams, jobs, subscriptions, events, bytes or requests a second) would be exceeded; nothing changed. details.quota names it; a rate carries Retry-After." },
  UPGRADE_REQUIRED: { status: 426, description: "The live results route was opened neither as a WebSocket nor with Accept: text/event-stream." },
  BODY_TOO_LARGE: { status: 413, description: "The body is larger than the server's limit." },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, description: "The Content-Type is not one this route accepts." },
  STORE_UNAVAILABLE: {
    status: 503,
    description: "The store cannot take writes right now and the request was not acknowledged (part of it may have been stored). Retry after Retry-After seconds, with the same Idempotency-Key so that nothing is stored twice.",
  },
  OVERLOADED: {
    status: 503,
    description: "Ingest was shed: the server is overloaded, or a job reading the stream is too far behind; nothing was stored. Retry after Retry-After seconds, with the same Idempotency-Key.",
  },
  INTERNAL: { status: 500, description: "An unexpected error; the details are in the server log." },
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ApiError";
  }

  get status(): number {
    return ERROR_CATALOGUE[this.code].status;
  }
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && code in ERROR_CATALOGUE;
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

export function errorBody(code: ErrorCode, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}
