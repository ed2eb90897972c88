/**
 * Gives each request its tenant's view of the engine, from the principal access control found (the
 * open server's requests, and open routes, are the default tenant's).
 */
import type { FastifyInstance } from "fastify";
import type { Engine } from "../../engine/engine.js";
import { DEFAULT_TENANT, TenantNames, tenantEngine } from "./tenant-engine.js";

export interface Tenant {
  readonly names: TenantNames;
  readonly engine: Engine;
}

declare module "fastify" {
  interface FastifyRequest {
    /** The asking tenant's names and engine. */
    tenant: Tenant;
  }
}

/** Call after access control's hook, so that the principal is known. */
export function installTenants(app: FastifyInstance, engine: Engine): void {
  // Tenants come only from configured keys, so this holds one entry per tenant at most.
  const views = new Map<string, Tenant>();
  const viewOf = (tenant: string): Tenant => {
    let view = views.get(tenant);
    if (!view) {
      const names = new TenantNames(tenant);
      view = { names, engine: tenantEngine(engine, names) };
      views.set(tenant, view);
    }
    return view;
  };
  app.decorateRequest("tenant", null as unknown as Tenant);
  app.addHook("onRequest", async (request) => {
    request.tenant = viewOf(request.principal?.tenant ?? DEFAULT_TENANT);
  });
}
