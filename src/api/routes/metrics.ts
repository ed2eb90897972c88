/**
 * GET /metrics: the Prometheus text exposition of every Tributary metric. When it needs a key, a
 * tenant reads only its own streams' and jobs' series (see tenancy/tenant-metrics.ts).
 */
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import type { Metrics } from "../../metrics/metrics.js";
import { tenantExposition } from "../tenancy/tenant-metrics.js";

export interface MetricsRouteOptions {
  readonly metrics: Metrics;
  /** Whether this request sees only its tenant's series. */
  readonly scoped: (request: FastifyRequest) => boolean;
}

export const metricsRoutes: FastifyPluginAsync<MetricsRouteOptions> = async (app, { metrics, scoped }) => {
  app.get("/metrics", async (request, reply) => {
    reply.type(metrics.registry.contentType);
    // With the store unreachable the figures of "now" cannot be read; the rest is still worth a scrape.
    await metrics.refresh().catch((error: Error) => request.log.warn({ err: error }, "job and stream figures not refreshed for this scrape"));
    const text = await metrics.registry.metrics();
    return scoped(request) ? tenantExposition(text, request.tenant.names) : text;
  });
};
