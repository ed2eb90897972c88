/**
 * Ingest: POST /v1/streams/:name/events takes a JSON object, a JSON array of objects, or NDJSON. The
 * answer is 202 only once every event is stored; a bad event or line is named and nothing is stored.
 */
import type { FastifyPluginAsync } from "fastify";
import type { Engine } from "../../engine/engine.js";
import type { Metrics } from "../../metrics/metrics.js";
import { ApiError, isErrorCode } from "../errors.js";
import { ingestShedding, ShedLog, type SheddingOptions } from "../ingest-shedding.js";
import { noQuery, parseRequest } from "../schemas/parse.js";
import { idempotencyHeader, streamParams } from "../schemas/streams.js";
import type { TenantQuotas } from "../tenancy/quotas.js";

/** NDJSON arrives as an already-split list (with each event's line number), treated like a JSON array. */
class NdjsonBody {
  constructor(
    readonly events: unknown[],
    readonly lines: number[],
  ) {}
}

export function parseNdjson(text: string): NdjsonBody {
  const body = new NdjsonBody([], []);
  text.split("\n").forEach((line, index) => {
    if (line.trim() === "") return;
    try {
      body.events.push(JSON.parse(line));
      body.lines.push(index + 1);
    } catch (error) {
      throw new ApiError("INVALID_BODY", `NDJSON line ${index + 1} is not valid JSON (${(error as Error).message}); send one JSON object per line`, { line: index + 1 });
    }
  });
  return body;
}

/**
 * The body's size for the bytes quota: its Content-Length, or for a chunked body (which has none) the
 * size of its events as JSON, so that leaving the header out does not escape the quota.
 */
function bodyBytes(contentLength: string | undefined, events: readonly unknown[]): number {
  const declared = Number(contentLength);
  if (Number.isSafeInteger(declared) && declared > 0) return declared;
  let bytes = 0;
  for (const event of events) {
    try {
      bytes += Buffer.byteLength(JSON.stringify(event) ?? "") + 1;
    } catch {
      // Too deep to serialize: the event limits refuse it with a 400 before anything is stored.
    }
  }
  return bytes;
}

/** Names a refused NDJSON event by its line, as a person reading the file would. */
function withLine(error: unknown, body: NdjsonBody): unknown {
  const details = (error as { details?: { index?: unknown } }).details;
  if ((error as { code?: unknown }).code !== "INVALID_EVENT" || typeof details?.index !== "number") return error;
  const line = body.lines[details.index];
  return new ApiError("INVALID_EVENT", `NDJSON line ${line}: ${(error as Error).message}`, { ...details, line });
}

/** The `error.code` of an error body; every refusal has one (the catalogue's codes are a closed set). */
function errorCodeOf(body: string): string {
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } }).error?.code;
    return typeof code === "string" && isErrorCode(code) ? code : "INTERNAL";
  } catch {
    return "INTERNAL";
  }
}

export const ingestRoutes: FastifyPluginAsync<{ engine: Engine; metrics: Metrics; quotas: TenantQuotas; shedding: SheddingOptions }> = async (app, { engine, metrics, quotas, shedding }) => {
  const shedIfOverloaded = await ingestShedding(app, shedding);
  const shedLog = new ShedLog();
  app.addContentTypeParser("application/x-ndjson", { parseAs: "string" }, (_request, body, done) => {
    try {
      done(null, parseNdjson(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  app.post("/v1/streams/:name/events", async (request, reply) => {
    const { name } = parseRequest(streamParams, request.params, "path");
    noQuery(request.query);
    await shedIfOverloaded(request.tenant.engine, name).catch((error: Error) => {
      if (error instanceof ApiError && error.code === "OVERLOADED") shedLog.shed(request.log, { stream: name, tenant: request.tenant.names.tenant, cause: error.message });
      throw error;
    });
    const body = request.body;
    const events = body instanceof NdjsonBody ? body.events : Array.isArray(body) ? body : [body];
    await quotas.checkIngestTarget(request.tenant, name);
    quotas.takeIngest(request.tenant, events.length, bodyBytes(request.headers["content-length"], events), reply);
    try {
      const idempotencyKey = parseRequest(idempotencyHeader, request.headers["idempotency-key"], "Idempotency-Key header");
      const receipt = await request.tenant.engine.ingest(name, events, idempotencyKey === undefined ? {} : { idempotencyKey });
      reply.status(202);
      if (receipt.replayed) reply.header("idempotent-replayed", "true");
      return receipt;
    } catch (error) {
      throw body instanceof NdjsonBody ? withLine(error, body) : error;
    }
  });

  // The catalogue code of each refusal, read from the answer the error handler wrote.
  const refusals = new WeakMap<object, string>();
  app.addHook("onSend", async (request, reply, payload) => {
    if (reply.statusCode >= 400 && typeof payload === "string") refusals.set(request, errorCodeOf(payload));
    return payload;
  });

  app.addHook("onResponse", async (request, reply) => {
    // Labelled by the stored name, so two tenants' streams of one name are counted apart.
    // (A request refused before its tenant was known has none.)
    const stream = request.tenant?.names.qualify((request.params as { name?: string }).name ?? "") ?? "";
    const outcome = reply.statusCode < 300 ? "accepted" : reply.statusCode === 503 ? "unavailable" : "rejected";
    // Only streams that exist get a label of their own, so junk names cannot grow the label set.
    const known = reply.statusCode < 300 || (await engine.getStream(stream).then(() => true, () => false));
    metrics.ingestRequests.inc({ stream: known ? stream : "(unknown)", outcome });
    if (reply.statusCode >= 400) metrics.ingestErrors.inc({ stream: known ? stream : "(unknown)", code: refusals.get(request) ?? "INTERNAL" });
  });
};
