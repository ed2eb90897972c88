/** GET /metrics: the Prometheus text exposition of every Tributary metric. */
import type { FastifyPluginAsync } from "fastify";
import type { Metrics } from "../../metrics/metrics.js";

export const metricsRoutes: FastifyPluginAsync<{ metrics: Metrics }> = async (app, { metrics }) => {
  app.get("/metrics", async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
};
