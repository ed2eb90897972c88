/** Liveness (the process answers) and readiness (the store can take writes). */
import type { FastifyPluginAsync } from "fastify";
import type { Engine } from "../../engine/engine.js";
import { errorBody } from "../errors.js";

export const healthRoutes: FastifyPluginAsync<{ engine: Engine }> = async (app, { engine }) => {
  app.get("/healthz", async () => ({ status: "ok" }));

  app.get("/readyz", async (_request, reply) => {
    if (await engine.ready()) return { status: "ready" };
    reply.status(503).header("retry-after", "1");
    return errorBody("STORE_UNAVAILABLE", "not ready: the store cannot take writes; check the data directory or Redis");
  });
};
