/**
 * Turns anything thrown by a route into the catalogue's error shape. 4xx messages pass through (they
 * tell the client what to fix); 5xx internals are logged and hidden.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { MAX_DEFINITION_CHARS } from "../engine/engine.js";
import { ApiError, errorBody, isErrorCode, type ErrorCode } from "./errors.js";
import { SHED_RETRY_AFTER_SECONDS } from "./ingest-shedding.js";

/** Seconds a client should wait before retrying when the store is unavailable. */
const RETRY_AFTER_SECONDS = 1;

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "BODY_TOO_LARGE",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_EMPTY_JSON_BODY: "INVALID_BODY",
  FST_ERR_CTP_INVALID_JSON_BODY: "INVALID_BODY",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "INVALID_BODY",
};

const FIXES: Partial<Record<ErrorCode, string>> = {
  BODY_TOO_LARGE: "split the events into several smaller requests",
  UNSUPPORTED_MEDIA_TYPE: "send Content-Type: application/json",
  INVALID_BODY: "send well-formed JSON",
};

/** A job definition is refused past MAX_DEFINITION_CHARS anyway; its body limit only stops a huge one early. */
const JOB_FIXES: Partial<Record<ErrorCode, string>> = {
  BODY_TOO_LARGE: `a job definition may have at most ${MAX_DEFINITION_CHARS} characters; write the rest of the work in a second job that reads this one's output stream`,
};

/** Ingest also takes NDJSON, so its hints say so. */
const INGEST_FIXES: Partial<Record<ErrorCode, string>> = {
  UNSUPPORTED_MEDIA_TYPE: "send Content-Type: application/json (an object or an array) or application/x-ndjson (one JSON object per line)",
  INVALID_BODY: "send well-formed JSON, or NDJSON with Content-Type: application/x-ndjson",
};

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError & { details?: unknown }, request, reply) => {
    const code = classify(error);
    if (code === "INTERNAL") {
      request.log.error({ err: error }, "request failed");
      return send(reply, code, "internal error; the server log has the details");
    }
    if (code === "OVERLOADED") reply.header("retry-after", String(SHED_RETRY_AFTER_SECONDS));
    if (code === "UNAUTHORIZED") reply.header("www-authenticate", 'Bearer realm="tributary"');
    const retryAfter = (error.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
    if (code === "QUOTA_EXCEEDED" && typeof retryAfter === "number") reply.header("retry-after", String(retryAfter));
    if (code === "STORE_UNAVAILABLE") {
      reply.header("retry-after", String(RETRY_AFTER_SECONDS));
      return send(reply, code, `the store cannot take writes right now (${error.message}); the request was not acknowledged: retry after ${RETRY_AFTER_SECONDS} s with the same Idempotency-Key`);
    }
    const route = request.routeOptions.url;
    const fix = (route?.endsWith("/events") ? INGEST_FIXES[code] : route === "/v1/jobs" ? JOB_FIXES[code] : undefined) ?? FIXES[code];
    const message = fix && !(error instanceof ApiError) ? `${error.message}; ${fix}` : error.message;
    return send(reply, code, message, error instanceof ApiError || "details" in error ? error.details : undefined);
  });

  app.setNotFoundHandler((request, reply) =>
    send(reply, "NOT_FOUND", `no route ${request.method} ${request.url.split("?")[0]}; the routes are listed in openapi.yaml`),
  );
}

/**
 * Errors Fastify meets before any route runs (a path that is not valid percent-encoding), in the
 * catalogue's shape like every other error. Given to Fastify() as its `frameworkErrors` option.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const path = request.url.split("?")[0];
  if (error.code === "FST_ERR_BAD_URL") void send(reply, "INVALID_REQUEST", `the path ${path} is not valid percent-encoding; encode each name with encodeURIComponent`);
  else void send(reply, "INVALID_REQUEST", error.message);
}

function classify(error: FastifyError): ErrorCode {
  if (error instanceof ApiError) return error.code;
  if (error.name === "EngineError" && isErrorCode(error.code)) return error.code;
  if (error.name === "StoreUnavailableError") return "STORE_UNAVAILABLE";
  const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
  if (mapped) return mapped;
  if (error instanceof SyntaxError || (error.statusCode === 400 && error.code?.startsWith("FST_ERR_CTP"))) return "INVALID_BODY";
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) return "INVALID_REQUEST";
  return "INTERNAL";
}

function send(reply: FastifyReply, code: ErrorCode, message: string, details?: unknown) {
  const status = new ApiError(code, message).status;
  return reply.status(status).type("application/json").send(errorBody(code, message, details));
}
