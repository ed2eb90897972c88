/** Streams: declare, list, inspect, delete. */
import type { FastifyPluginAsync } from "fastify";
import { noQuery, parseRequest } from "../schemas/parse.js";
import type { TenantQuotas } from "../tenancy/quotas.js";
import { declareStreamBody, streamParams } from "../schemas/streams.js";

export const streamRoutes: FastifyPluginAsync<{ quotas: TenantQuotas }> = async (app, { quotas }) => {
  app.post("/v1/streams", async (request, reply) => {
    noQuery(request.query);
    const body = parseRequest(declareStreamBody, request.body, "stream declaration", "INVALID_STREAM");
    await quotas.checkNewStream(request.tenant);
    const stream = await request.tenant.engine.declareStream(body);
    reply.status(201).header("location", `/v1/streams/${stream.name}`);
    return stream;
  });

  app.get("/v1/streams", async (request) => {
    noQuery(request.query);
    return { streams: await request.tenant.engine.listStreams() };
  });

  app.get("/v1/streams/:name", async (request) => {
    noQuery(request.query);
    const { name } = parseRequest(streamParams, request.params, "path");
    return request.tenant.engine.getStream(name);
  });

  app.delete("/v1/streams/:name", async (request, reply) => {
    noQuery(request.query);
    const { name } = parseRequest(streamParams, request.params, "path");
    await request.tenant.engine.deleteStream(name);
    return reply.status(204).send();
  });
};
