/**
 * What a request puts in the log: its method, its route and path without the query string, and the
 * status. Never a query string (it may hold a live token), a header (Authorization holds a key), a body,
 * or the client's address.
 */
import type { FastifyBaseLogger, FastifyRequest } from "fastify";
import { pino, type DestinationStream, type Logger } from "pino";

export const logSerializers = {
  req(request: FastifyRequest) {
    return { method: request.method, url: request.url.split("?")[0], route: request.routeOptions?.url };
  },
  res(reply: { statusCode: number }) {
    return { statusCode: reply.statusCode };
  },
};

/** The server's one logger: the API's, handed to the engine and the worker pool too (main.ts). */
export function createLogger(options: { level: string; stream?: DestinationStream }): Logger {
  return pino({ level: options.level, serializers: logSerializers }, options.stream);
}

/** What buildApp takes: off, a level for a logger of its own, or a logger made by createLogger. */
export type AppLogger = boolean | { level: string } | FastifyBaseLogger;

/** Fastify's logger options for an AppLogger. */
export function loggerOptions(logger: AppLogger | undefined): { logger: boolean | object } | { loggerInstance: FastifyBaseLogger } {
  if (!logger) return { logger: false };
  if (typeof logger === "object" && "child" in logger) return { loggerInstance: logger };
  return { logger: { ...(logger === true ? {} : logger), serializers: logSerializers } };
}
