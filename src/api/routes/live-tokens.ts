/** POST /v1/live-tokens: a short-lived token for a browser's live subscription (see auth/live-tokens.ts). */
import type { FastifyPluginAsync } from "fastify";
import { LIVE_TOKEN_SECONDS, type LiveTokens } from "../auth/live-tokens.js";
import { noQuery } from "../schemas/parse.js";

export const liveTokenRoutes: FastifyPluginAsync<{ liveTokens: LiveTokens }> = async (app, { liveTokens }) => {
  app.post("/v1/live-tokens", async (request, reply) => {
    noQuery(request.query);
    const { token, expiresAt } = liveTokens.issue(request.principal);
    reply.status(201);
    return { token, expiresAt, expiresInSeconds: LIVE_TOKEN_SECONDS, use: "GET /v1/jobs/{id}/results/live?token=<token>" };
  });
};
