/**
 * What a request puts in the log: its method, its route and path without the query string, and the
 * status. Never a query string (it may hold a live token), a header (Authorization holds a key), a body,
 * or the client's address.
 */
import type { FastifyRequest } from "fastify";

export const logSerializers = {
  req(request: FastifyRequest) {
    return { method: request.method, url: request.url.split("?")[0], route: request.routeOptions?.url };
  },
  res(reply: { statusCode: number }) {
    return { statusCode: reply.statusCode };
  },
};

export function loggerOptions(logger: boolean | { level: string } | undefined) {
  if (!logger) return false;
  return { ...(logger === true ? {} : logger), serializers: logSerializers };
}
