/**
 * Liveness (the process answers), readiness, and the cluster's nodes and jobs. Readiness means this
 * node can serve traffic: the store can take writes. Jobs still being rebuilt after a start do not
 * make it unready (it accepts ingest and answers reads meanwhile; a state query of a recovering job
 * says it is replaying); how many there are is in the answer, for scripts that wait for every job.
 */
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
    if (await engine.ready()) {
      const { started, claimed, recovering } = engine.recovery();
      return { status: "ready", recovery: { claimed, recovering, allBack: started && recovering === 0 } };
    }
    reply.status(503).header("retry-after", "1");
    return errorBody("STORE_UNAVAILABLE", "not ready: the store cannot take writes; check the data directory or Redis");
  });
};
