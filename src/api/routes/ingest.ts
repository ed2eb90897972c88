/**
 * Ingest: POST /v1/streams/:name/events takes a JSON object, a JSON array of objects, or NDJSON. The
 * answer is 202 only once every event is stored; a bad event or line is named and nothing is stored.
 */
import type { FastifyPluginAsync, FastifyReply } from "fastify";
import type { Engine, IngestReceipt } from "../../engine/engine.js";
import type { Metrics } from "../../metrics/metrics.js";
import { isErrorCode } from "../errors.js";
import { ingestShedding, ShedLog, type SheddingOptions } from "../ingest-shedding.js";
import { noQuery, parseRequest } from "../schemas/parse.js";
import { idempotencyHeader, streamParams } from "../schemas/streams.js";
import type { TenantQuotas } from "../tenancy/quotas.js";

/**
 * An NDJSON body as it came, unparsed: the engine's ingest encoder parses it once, off the main thread
 * (see engine/encoded-body.ts), and names a bad line by its number.
 */
class NdjsonBody {
  constructor(readonly bytes: Buffer) {}
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

function accepted(reply: FastifyReply, receipt: IngestReceipt): IngestReceipt {
  reply.status(202);
  if (receipt.replayed) reply.header("idempotent-replayed", "true");
  return receipt;
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
  app.addContentTypeParser("application/x-ndjson", { parseAs: "buffer" }, (_request, body, done) => done(null, new NdjsonBody(body as Buffer)));

  app.post("/v1/streams/:name/events", async (request, reply) => {
    const { name } = parseRequest(streamParams, request.params, "path");
    noQuery(request.query);
    const logShed = (error: Error) => {
      if ((error as { code?: unknown }).code === "OVERLOADED") shedLog.shed(request.log, { stream: name, tenant: request.tenant.names.tenant, cause: error.message });
      throw error;
    };
    await shedIfOverloaded(request.tenant.engine, name).catch(logShed);
    const body = request.body;
    await quotas.checkIngestTarget(request.tenant, name);
    const idempotencyKey = parseRequest(idempotencyHeader, request.headers["idempotency-key"], "Idempotency-Key header");
    const options = idempotencyKey === undefined ? {} : { idempotencyKey };
    if (body instanceof NdjsonBody) {
      // Counted once the encoder has parsed it, before anything is stored (the body may be moved to its
      // thread meanwhile, so its size is read now).
      const bytes = body.bytes.byteLength;
      const admit = (events: number) => quotas.takeIngest(request.tenant, events, bytes, reply);
      return accepted(reply, await request.tenant.engine.ingestNdjson(name, body.bytes, { ...options, admit }).catch(logShed));
    }
    const events = Array.isArray(body) ? body : [body];
    quotas.takeIngest(request.tenant, events.length, bodyBytes(request.headers["content-length"], events), reply);
    return accepted(reply, await request.tenant.engine.ingest(name, events, options));
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
