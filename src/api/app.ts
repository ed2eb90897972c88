/**
 * buildApp: the HTTP and WebSocket surface, wired to an engine. It never listens; main.ts does, and
 * tests use inject() or listen on port 0 themselves.
 */
import websocket from "@fastify/websocket";
import Fastify, { type FastifyInstance } from "fastify";
import type { Engine } from "../engine/engine.js";
import type { Metrics } from "../metrics/metrics.js";
import { installAccess, type AccessOptions } from "./auth/access.js";
import { ApiKeys } from "./auth/api-keys.js";
import { LiveTokens } from "./auth/live-tokens.js";
import { installTenants } from "./tenancy/tenants.js";
import { installErrorHandler } from "./error-handler.js";
import { loggerOptions } from "./log-fields.js";
import { DEFAULT_SHEDDING, type SheddingOptions } from "./ingest-shedding.js";
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
  readonly logger?: boolean | { level: string };
  /** API keys and live tokens; without, the server is open (every request is the "default" tenant's admin). */
  readonly access?: AccessOptions;
  /** When ingest is refused with 503 OVERLOADED (default: DEFAULT_SHEDDING). */
  readonly shedding?: Partial<SheddingOptions>;
}

const NO_KEYS = ApiKeys.parse(undefined, undefined);

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: loggerOptions(options.logger), bodyLimit: options.bodyLimit ?? 10 * 1024 * 1024 });
  const { engine, metrics } = options;
  const live: LiveOptions = { maxSubscriberBufferBytes: 8 * 1024 * 1024, heartbeatMs: 15_000, ...options.live };

  installErrorHandler(app);
  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    metrics.httpRequestSeconds.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  await app.register(websocket, { options: { maxPayload: options.maxClientMessageBytes ?? 4096 } });
  // After the WebSocket plugin's own onRequest hook, so that a refused upgrade's socket is closed.
  const access = options.access ?? { keys: () => NO_KEYS, liveTokens: new LiveTokens(), metricsRequireKey: false };
  installAccess(app, access);
  installTenants(app, engine);
  await app.register(healthRoutes, { engine });
  await app.register(metricsRoutes, { metrics, scoped: () => access.metricsRequireKey && access.keys().enabled });
  await app.register(streamRoutes);
  await app.register(ingestRoutes, { engine, metrics, shedding: { ...DEFAULT_SHEDDING, ...options.shedding } });
  await app.register(jobRoutes);
  await app.register(resultRoutes, { metrics, live });
  await app.register(liveTokenRoutes, { liveTokens: access.liveTokens });
  return app;
}
