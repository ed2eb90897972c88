/**
 * Access control: one hook that runs before every route and every WebSocket upgrade. With keys
 * configured, each request needs `Authorization: Bearer <key>` (a live subscription may instead carry
 * a short-lived `?token=`, see live-tokens.ts), and the key's role must allow the route:
 *
 *   reader  read anything (streams, jobs, results, state, models, batches) and subscribe
 *   writer  what a reader may, and ingest events
 *   admin   everything: declare and delete streams, register, pause, resume and delete jobs
 *
 * /healthz and /readyz are always open, and so is the contract (/openapi.json, /openapi.yaml, /docs);
 * /metrics unless METRICS_REQUIRE_KEY. Without keys the server
 * is open (local development) and says so at start-up. 401 says how to authenticate; 403 names the
 * role the route needs.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { ApiError } from "../errors.js";
import type { ApiKeys, Principal, Role } from "./api-keys.js";
import type { LiveTokens } from "./live-tokens.js";

type Need = "open" | Role;

const LIVE_ROUTE = "/v1/jobs/:id/results/live";
const RANK: Record<Role, number> = { reader: 0, writer: 1, admin: 2 };

declare module "fastify" {
  interface FastifyRequest {
    /** Who is asking: the key's tenant and role (the open server's "default" admin without keys). */
    principal: Principal;
  }
}

export interface AccessOptions {
  /** The keys in force now (they are reloaded without a restart). */
  readonly keys: () => ApiKeys;
  readonly liveTokens: LiveTokens;
  /** Whether GET /metrics needs a key (reader or more). */
  readonly metricsRequireKey: boolean;
}

/** What a route needs. Unknown routes need a key too, so an open 404 tells nobody what exists. */
export function needOf(method: string, route: string | undefined, metricsRequireKey: boolean): Need {
  if (route === "/healthz" || route === "/readyz") return "open";
  if (route === "/openapi.json" || route === "/openapi.yaml" || route === "/docs" || route?.startsWith("/docs/")) return "open";
  if (route === "/metrics") return metricsRequireKey ? "reader" : "open";
  if (method === "GET" || method === "HEAD") return "reader";
  if (route === "/v1/streams/:name/events") return "writer";
  if (route === "/v1/live-tokens") return "reader";
  return "admin";
}

export function installAccess(app: FastifyInstance, options: AccessOptions): void {
  app.decorateRequest("principal", null as unknown as Principal);
  app.addHook("onRequest", async (request) => {
    const keys = options.keys();
    if (!keys.enabled) {
      request.principal = { tenant: "default", role: "admin" };
      return;
    }
    const need = needOf(request.method, request.routeOptions.url, options.metricsRequireKey);
    if (need === "open") return;
    const principal = authenticate(request, keys, options.liveTokens);
    if (RANK[principal.role] < RANK[need]) {
      throw new ApiError("FORBIDDEN", `this key's role is ${principal.role}; ${request.method} ${request.routeOptions.url ?? request.url.split("?")[0]} needs ${need === "admin" ? "an admin" : `a ${need}`} key`);
    }
    request.principal = principal;
  });
}

function authenticate(request: FastifyRequest, keys: ApiKeys, liveTokens: LiveTokens): Principal {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new ApiError("UNAUTHORIZED", "the Authorization header is not \"Bearer <key>\"; send the API key as a bearer token");
    const principal = keys.verify(match[1]!);
    if (!principal) throw new ApiError("UNAUTHORIZED", "the API key is not known (revoked, mistyped, or for another server); send a valid key as \"Authorization: Bearer <key>\"");
    return principal;
  }
  const token = (request.query as { token?: unknown } | undefined)?.token;
  if (request.routeOptions.url === LIVE_ROUTE && typeof token === "string") {
    const principal = liveTokens.verify(token);
    if (!principal) throw new ApiError("UNAUTHORIZED", "the live token is expired or not valid; get a new one with POST /v1/live-tokens (it lasts a minute)");
    return principal;
  }
  throw new ApiError("UNAUTHORIZED", "an API key is required: send \"Authorization: Bearer <key>\" (a browser's live subscription may use ?token= from POST /v1/live-tokens)");
}
