/**
 * Results: a page over HTTP, or a live subscription over WebSocket (or Server-Sent Events when the
 * client sends Accept: text/event-stream). Live frames: a hello, then {type: "result", seq, ...}
 * frames and heartbeats. A subscriber that falls too far behind, or is still connected when the
 * server shuts down, is disconnected with a message that says how to resume without loss.
 */
import type { FastifyBaseLogger, FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { WebSocket } from "ws";
import type { Subscription } from "../../engine/engine.js";
import type { Metrics, SubscriberCloseReason } from "../../metrics/metrics.js";
import type { ResultFrame } from "../../store/types.js";
import { ApiError } from "../errors.js";
import { GOING_AWAY_CLOSE, type LiveChannels } from "../live-channels.js";
import { watchPeer } from "../peer-liveness.js";
import { jobParams, liveQuery, resultsQuery } from "../schemas/jobs.js";
import { parseRequest } from "../schemas/parse.js";
import type { TenantQuotas } from "../tenancy/quotas.js";
import type { Tenant } from "../tenancy/tenants.js";

export interface LiveOptions {
  /** Bytes a subscriber may have unsent before it is disconnected. */
  readonly maxSubscriberBufferBytes: number;
  readonly heartbeatMs: number;
  /** Each WebSocket is pinged this often; one whose pong is missing at the next ping is dropped. */
  readonly pingMs: number;
}

/** Close code for a subscriber that fell behind (4000-4999 is for applications). */
export const SLOW_SUBSCRIBER_CLOSE = 4008;
export const JOB_ENDED_CLOSE = 4010;
/** A subscription opened past the tenant's quota while the upgrade was under way. */
const POLICY_VIOLATION_CLOSE = 1008;

/** A live-results connection, whichever transport carries it. */
interface Channel {
  send(message: object): void;
  /** Bytes queued but not yet written to the client. */
  pending(): number;
  close(code: number, reason: string): void;
}

/** The close reason that tells a subscriber where to pick up again. */
function resumeReason(why: string, nextSeq: number): string {
  return `${why}; reconnect with ?from=${nextSeq} to resume without loss`;
}

/** An EventSource that reconnects sends the id of the last frame it saw: resume right after it. */
function lastEventId(request: FastifyRequest): number | undefined {
  const header = request.headers["last-event-id"];
  const seq = Number(Array.isArray(header) ? header[0] : header);
  return Number.isInteger(seq) && seq >= 0 ? seq + 1 : undefined;
}

export const resultRoutes: FastifyPluginAsync<{ metrics: Metrics; live: LiveOptions; quotas: TenantQuotas; channels: LiveChannels }> = async (app, { metrics, live, quotas, channels }) => {
  app.get("/v1/jobs/:id/results", async (request) => {
    const { id } = parseRequest(jobParams, request.params, "path");
    const query = parseRequest(resultsQuery, request.query, "query");
    const { engine } = request.tenant;
    const page = query.last === undefined ? await engine.results(id, query.from ?? 1, query.limit) : await engine.newestResults(id, query.last);
    const lastInPage = page.frames.at(-1)?.seq;
    // An empty page: the next frame to come, or `from` when it is still ahead of that.
    const next = lastInPage !== undefined ? lastInPage + 1 : Math.max(1, Math.min(query.from ?? Infinity, page.last + 1));
    return { jobId: id, first: page.first, last: page.last, frames: page.frames, next };
  });

  const checkLiveRequest = async (request: FastifyRequest) => {
    const { id } = parseRequest(jobParams, request.params, "path");
    const { from } = parseRequest(liveQuery, request.query, "query");
    await request.tenant.engine.getJob(id); // an unknown job is refused with 404 before any upgrade
    quotas.checkSubscription(request.tenant); // and a subscription past the quota with 429
    return { id, from, tenant: request.tenant };
  };

  /** Subscribes a channel: hello first, then history and live frames in seq order, heartbeats between. */
  const serve = async (channel: Channel, tenant: Tenant, id: string, from: number | undefined, log: FastifyBaseLogger) => {
    let closed = false;
    let subscription: Subscription | undefined;
    let heartbeat: NodeJS.Timeout | undefined;
    let unregister: (() => void) | undefined;
    let lastSeq = 0;
    const early: ResultFrame[] = [];
    let release = () => undefined as void;
    const closeWith = (code: number, reason: string, why: SubscriberCloseReason) => {
      if (closed) return;
      closed = true;
      metrics.subscribersClosed.inc({ job_name: tenant.names.qualify(id), reason: why });
      release();
      unregister?.();
      subscription?.close();
      clearInterval(heartbeat);
      channel.close(code, reason);
    };
    const deliver = (frame: ResultFrame) => {
      if (closed) return;
      if (channel.pending() > live.maxSubscriberBufferBytes) {
        metrics.slowSubscribersDropped.inc({ job_name: tenant.names.qualify(id) });
        log.warn({ job: tenant.names.qualify(id), reason: "fell behind", pendingBytes: channel.pending(), maxSubscriberBufferBytes: live.maxSubscriberBufferBytes, nextSeq: lastSeq + 1 }, "subscriber dropped");
        return closeWith(SLOW_SUBSCRIBER_CLOSE, resumeReason("subscriber fell behind", lastSeq + 1), "fell behind");
      }
      lastSeq = frame.seq;
      channel.send({ type: "result", ...frame });
    };
    try {
      release = quotas.openSubscription(tenant);
    } catch (error) {
      closeWith(POLICY_VIOLATION_CLOSE, (error as Error).message, "over quota");
      return () => undefined;
    }
    try {
      // History frames arrive while subscribe() runs; they wait in `early` so the hello goes first.
      subscription = await tenant.engine.subscribe(id, from, {
        frame: (frame) => (subscription ? deliver(frame) : early.push(frame)),
        end: (reason) => closeWith(JOB_ENDED_CLOSE, reason, "job ended"),
        bufferedBytes: () => channel.pending(),
      });
    } catch (error) {
      closeWith(1011, (error as Error).message, "error");
      return () => undefined;
    }
    if (closed) {
      subscription.close();
      return () => undefined;
    }
    lastSeq = subscription.next - 1;
    channel.send({ type: "hello", jobId: id, from: subscription.from, next: subscription.next, lastSeq: subscription.lastSeq, truncated: subscription.truncated });
    for (const frame of early) deliver(frame);
    heartbeat = setInterval(() => channel.send({ type: "heartbeat", lastSeq, at: Date.now() }), live.heartbeatMs);
    heartbeat.unref();
    unregister = channels.add(() => closeWith(GOING_AWAY_CLOSE, resumeReason("server shutting down", lastSeq + 1), "server shutting down"));
    return (why: SubscriberCloseReason = "client closed") => closeWith(1000, "client closed", why);
  };

  app.route({
    method: "GET",
    url: "/v1/jobs/:id/results/live",
    preHandler: async (request) => {
      await checkLiveRequest(request);
    },
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      const { id, from: fromQuery, tenant } = await checkLiveRequest(request);
      const from = fromQuery ?? lastEventId(request);
      if (!request.headers.accept?.includes("text/event-stream")) {
        reply.header("upgrade", "websocket");
        throw new ApiError("UPGRADE_REQUIRED", "this route streams results: open it as a WebSocket, or send Accept: text/event-stream for Server-Sent Events");
      }
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
      const stop = await serve(
        {
          send: (m) => raw.write(`${"seq" in m ? `id: ${String((m as { seq: number }).seq)}\n` : ""}data: ${JSON.stringify(m)}\n\n`),
          pending: () => raw.writableLength,
          // The stream's connection ends with it, so a server that is closing is not kept open by it.
          close: (_code, reason) => raw.end(`event: close\ndata: ${JSON.stringify({ reason })}\n\n`, () => raw.socket?.end()),
        },
        tenant,
        id,
        from,
        request.log,
      );
      request.raw.on("close", () => stop());
    },
    wsHandler: async (socket: WebSocket, request: FastifyRequest) => {
      const { id, from, tenant } = await checkLiveRequest(request);
      let unresponsive = false;
      watchPeer(socket, live.pingMs, () => {
        unresponsive = true;
        request.log.warn({ job: tenant.names.qualify(id), reason: "stopped answering pings" }, "subscriber dropped");
      });
      const stop = await serve(
        {
          send: (m) => socket.send(JSON.stringify(m)),
          pending: () => socket.bufferedAmount,
          close: (code, reason) => socket.close(code, reason.slice(0, 120)),
        },
        tenant,
        id,
        from,
        request.log,
      );
      socket.on("close", () => stop(unresponsive ? "stopped answering pings" : "client closed"));
    },
  });
};
