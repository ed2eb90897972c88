/**
 * One access line per request at info (method, route, status, duration, request id), and what
 * Fastify would say besides at debug. The request id is the client's X-Request-Id when it is a
 * plausible id (bounded, safe characters), else one made here; either way it is sent back in the
 * X-Request-Id header and is on every line the request logs, so a client's report finds its lines.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";

export const REQUEST_ID_HEADER = "x-request-id";

/** Letters, digits and . _ : - (a UUID, a ULID, a trace id); anything else could forge or break a log line. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify's genReqId: the client's id when safe, else a fresh UUID. */
export function requestId(request: IncomingMessage): string {
  const given = request.headers[REQUEST_ID_HEADER];
  return typeof given === "string" && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
}

/** Fastify's per-request lines: the completed one becomes the access line, the others go to debug. */
class RequestLog extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, "incoming request");
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { method: request.method, route: request.routeOptions.url ?? "unmatched", status: reply.statusCode, durationMs: Math.round(reply.elapsedTime * 10) / 10 };
    if (error) reply.log.error({ ...line, err: error }, "request");
    else reply.log.info(line, "request");
  }

  override defaultErrorLog(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    if (reply.statusCode >= 500) reply.log.error({ err: error }, error.message);
    else reply.log.debug({ err: error }, error.message);
  }

  /** Fastify's own line would carry the query string. */
  override routeNotFound(request: FastifyRequest): void {
    request.log.debug({ req: request }, "route not found");
  }
}

/** Fastify options that hand request ids and per-request lines to this file. */
export function requestLogOptions() {
  return { genReqId: requestId, requestIdHeader: false, logController: new RequestLog() } as const;
}

/** Sends the request id back. */
export function installRequestLog(app: FastifyInstance): void {
  app.addHook("onRequest", async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
}
