/**
 * buildApp: the HTTP and WebSocket surface, wired to an engine. It never listens; main.ts does, and
 * tests use inject() or listen on port 0 themselves.
 */
import rateLimit from "@fastify/rate-limit";
import websocket from "@fastify/websocket";
import Fastify, { type FastifyInstance } from "fastify";
import type { Engine } from "../engine/engine.js";
import type { Metrics } from "../metrics/metrics.js";
import { installAccess, type AccessOptions } from "./auth/access.js";
import { ApiKeys } from "./auth/api-keys.js";
import { LiveTokens } from "./auth/live-tokens.js";
import { DEFAULT_QUOTAS, exceeded, TenantQuotas, type QuotaLimits } from "./tenancy/quotas.js";
import { installTenants } from "./tenancy/tenants.js";
import { frameworkErrors, installErrorHandler } from "./error-handler.js";
import { closeLiveConnections, LiveChannels } from "./live-channels.js";
import { loggerOptions, type AppLogger } from "./log-fields.js";
import { installRequestLog, requestLogOptions } from "./request-log.js";
import { DEFAULT_SHEDDING, type SheddingOptions } from "./ingest-shedding.js";
import { contractRoutes } from "./routes/contract.js";
import { healthRoutes } from "./routes/health.js";
import { ingestRoutes } from "./routes/ingest.js";
import { jobRoutes } from "./routes/jobs.js";
import { liveTokenRoutes } from "./routes/live-tokens.js";
import { metricsRoutes } from "./routes/metrics.js";
import { resultRoutes, type LiveOptions } from "./routes/results.js";
import { streamRoutes } from "./routes/streams.js";

export interface AppOptions {
  readonly engine: Engine;
  readonly metrics: Metrics;
  /** Largest request body accepted, in bytes. */
  readonly bodyLimit?: number;
  /** Largest WebSocket message accepted from a client, in bytes. */
  readonly maxClientMessageBytes?: number;
  readonly live?: Partial<LiveOptions>;
  /** Off, a level, or the server's logger (createLogger), shared with the engine. */
  readonly logger?: AppLogger;
  /** API keys and live tokens; without, the server is open (every request is the "default" tenant's admin). */
  readonly access?: AccessOptions;
  /** Quotas per tenant, in force when keys are configured (default: DEFAULT_QUOTAS). */
  readonly quotas?: Partial<QuotaLimits>;
  /** When ingest is refused with 503 OVERLOADED (default: DEFAULT_SHEDDING). */
  readonly shedding?: Partial<SheddingOptions>;
}

const NO_KEYS = ApiKeys.parse(undefined, undefined);

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({ ...loggerOptions(options.logger), ...requestLogOptions(), bodyLimit: options.bodyLimit ?? 10 * 1024 * 1024, frameworkErrors });
  const { engine, metrics } = options;
  const live: LiveOptions = { maxSubscriberBufferBytes: 8 * 1024 * 1024, heartbeatMs: 15_000, pingMs: 30_000, ...options.live };
  const channels = new LiveChannels();

  installErrorHandler(app);
  installRequestLog(app);
  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    metrics.httpRequestSeconds.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  // A request answered while the server closes ends its connection, which would otherwise stay open
  // (keep-alive) and hold the close up.
  let closing = false;
  app.addHook("preClose", async () => void (closing = true));
  app.addHook("onSend", async (_request, reply) => void (closing && reply.header("connection", "close")));
  // On close, every live subscriber is told where to resume (the plugin's own preClose would close
  // each WebSocket without a code, and leave SSE streams holding the server open).
  await app.register(websocket, { options: { maxPayload: options.maxClientMessageBytes ?? 4096 }, preClose: closeLiveConnections(channels) });
  // After the WebSocket plugin's own onRequest hook, so that a refused upgrade's socket is closed.
  const access = options.access ?? { keys: () => NO_KEYS, liveTokens: new LiveTokens(), metricsRequireKey: false };
  installAccess(app, access);
  installTenants(app, engine);
  const quotas = new TenantQuotas({ ...DEFAULT_QUOTAS, ...options.quotas }, () => access.keys().enabled);
  // Requests a second per tenant, once its key is known; open routes and an open server are not limited.
  await app.register(rateLimit, {
    hook: "preHandler",
    max: quotas.limits.requestsPerSecond,
    timeWindow: 1000,
    enableDraftSpec: true,
    keyGenerator: (request) => request.tenant.names.tenant,
    allowList: (request) => !quotas.enabled() || request.principal === null,
    errorResponseBuilder: (_request, context) =>
      exceeded("requestsPerSecond", context.max, `a tenant may make ${context.max} requests a second; retry after ${Math.ceil(context.ttl / 1000)} s`, Math.max(1, Math.ceil(context.ttl / 1000))),
  });
  await app.register(healthRoutes, { engine });
  await app.register(contractRoutes);
  await app.register(metricsRoutes, { metrics, scoped: () => access.metricsRequireKey && access.keys().enabled });
  await app.register(streamRoutes, { quotas });
  await app.register(ingestRoutes, { engine, metrics, quotas, shedding: { ...DEFAULT_SHEDDING, ...options.shedding } });
  await app.register(jobRoutes, { quotas });
  await app.register(resultRoutes, { metrics, live, quotas, channels });
  await app.register(liveTokenRoutes, { liveTokens: access.liveTokens });
  return app;
}
