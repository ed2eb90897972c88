/** Liveness (the process answers), readiness (the store can take writes), and the cluster's nodes and jobs. */
import type { FastifyPluginAsync } from "fastify";
import type { Engine } from "../../engine/engine.js";
import { errorBody } from "../errors.js";
import { noQuery } from "../schemas/parse.js";

export const healthRoutes: FastifyPluginAsync<{ engine: Engine }> = async (app, { engine }) => {
  app.get("/healthz", async (request) => {
    noQuery(request.query);
    return { status: "ok" };
  });

  app.get("/v1/cluster", async (request) => {
    noQuery(request.query);
    return request.tenant.engine.cluster();
  });

  app.get("/readyz", async (request, reply) => {
    noQuery(request.query);
    if (await engine.ready()) return { status: "ready" };
    reply.status(503).header("retry-after", "1");
    return errorBody("STORE_UNAVAILABLE", "not ready: the store cannot take writes; check the data directory or Redis");
  });
};
