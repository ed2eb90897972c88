/** Jobs: register, list, inspect, change (PUT), delete, pause, resume; and the recorded batches of a job. */
import type { FastifyPluginAsync } from "fastify";
import { answeredByOwner } from "../owner-proxy.js";
import { batchesQuery, jobParams, stateQuery, upgradeRequest } from "../schemas/jobs.js";
import { noQuery, parseRequest } from "../schemas/parse.js";
import type { TenantQuotas } from "../tenancy/quotas.js";

const JOB_BODY_LIMIT_BYTES = 1024 * 1024;

export const jobRoutes: FastifyPluginAsync<{ quotas: TenantQuotas }> = async (app, { quotas }) => {
  // Pause, resume and delete take no body: an empty one is accepted even when the client labels it
  // JSON (many clients send that header on every request). A body that is there is parsed as always.
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = body.toString();
    if (text === "") done(null, undefined);
    else parseJson(request, text, done);
  });

  // A body this large is refused before it is parsed (a definition of any use is far smaller).
  app.post("/v1/jobs", { bodyLimit: JOB_BODY_LIMIT_BYTES }, async (request, reply) => {
    noQuery(request.query);
    await quotas.checkNewJob(request.tenant);
    const job = await request.tenant.engine.registerJob(request.body);
    reply.status(201).header("location", `/v1/jobs/${job.id}`);
    return job;
  });

  // A dry run: the checks of a registration and the plan, nothing stored.
  app.post("/v1/jobs/validate", { bodyLimit: JOB_BODY_LIMIT_BYTES }, async (request) => {
    noQuery(request.query);
    return request.tenant.engine.validateJob(request.body);
  });

  app.get("/v1/jobs", async (request) => {
    noQuery(request.query);
    return { jobs: await request.tenant.engine.listJobs() };
  });

  // Progress, model and state live on the node that runs the job: another node asks it (owner-proxy.ts).
  app.get("/v1/jobs/:id", async (request, reply) => {
    noQuery(request.query);
    const { id } = parseRequest(jobParams, request.params, "path");
    if (await answeredByOwner(request, reply, id)) return reply;
    return request.tenant.engine.getJob(id);
  });

  // A new definition for a running or paused job, applied by the node that runs it (forwarded there).
  // The body is a job definition, plus "state": "reset" to accept losing its state.
  app.put("/v1/jobs/:id", { bodyLimit: JOB_BODY_LIMIT_BYTES }, async (request, reply) => {
    noQuery(request.query);
    const { id } = parseRequest(jobParams, request.params, "path");
    const { definition, resetState } = upgradeRequest(request.body);
    if (await answeredByOwner(request, reply, id)) return reply;
    return request.tenant.engine.upgradeJob(id, definition, resetState);
  });

  app.delete("/v1/jobs/:id", async (request, reply) => {
    noQuery(request.query);
    const { id } = parseRequest(jobParams, request.params, "path");
    await request.tenant.engine.deleteJob(id);
    return reply.status(204).send();
  });

  app.post("/v1/jobs/:id/pause", async (request) => {
    noQuery(request.query);
    const { id } = parseRequest(jobParams, request.params, "path");
    return request.tenant.engine.pauseJob(id);
  });

  app.post("/v1/jobs/:id/restart", async (request) => {
    noQuery(request.query);
    const { id } = parseRequest(jobParams, request.params, "path");
    return request.tenant.engine.restartJob(id);
  });

  app.post("/v1/jobs/:id/resume", async (request) => {
    noQuery(request.query);
    const { id } = parseRequest(jobParams, request.params, "path");
    return request.tenant.engine.resumeJob(id);
  });

  app.get("/v1/jobs/:id/model", async (request, reply) => {
    noQuery(request.query);
    const { id } = parseRequest(jobParams, request.params, "path");
    if (await answeredByOwner(request, reply, id)) return reply;
    return request.tenant.engine.jobModel(id);
  });

  app.get("/v1/jobs/:id/state", async (request, reply) => {
    const { id } = parseRequest(jobParams, request.params, "path");
    const { key } = parseRequest(stateQuery, request.query, "query");
    if (await answeredByOwner(request, reply, id)) return reply;
    return request.tenant.engine.jobState(id, key);
  });

  app.get("/v1/jobs/:id/batches", async (request) => {
    const { id } = parseRequest(jobParams, request.params, "path");
    const { after, limit } = parseRequest(batchesQuery, request.query, "query");
    return { jobId: id, batches: await request.tenant.engine.batches(id, after, limit) };
  });
};
