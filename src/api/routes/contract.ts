/**
 * The HTTP contract, served: openapi.yaml (the committed file, as written) at /openapi.yaml and as
 * JSON at /openapi.json, and a browsable reference at /docs. The reference is @fastify/swagger-ui,
 * which serves Swagger UI's assets from the package itself (no CDN, so it works offline and behind
 * a strict CSP) and reads the document @fastify/swagger loads; both are Fastify's own plugins. All
 * of it is open: the contract is no secret, and a client needs it before it has a key.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import swagger, { type StaticDocumentSpec } from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyPluginAsync } from "fastify";
import { parse } from "yaml";
import { noQuery } from "../schemas/parse.js";

/** openapi.yaml at the root of the checkout (from src/api/routes or dist/api/routes alike). */
export const OPENAPI_PATH = fileURLToPath(new URL("../../../openapi.yaml", import.meta.url));

/** Where the browsable reference lives; its pages and assets are under it. */
export const REFERENCE_PREFIX = "/docs";

/** The document, read and parsed once per process (a test suite builds many apps). */
let contract: { readonly yaml: string; readonly document: StaticDocumentSpec["document"] } | undefined;

function loadContract(): { readonly yaml: string; readonly document: StaticDocumentSpec["document"] } {
  if (!contract) {
    const yaml = readFileSync(OPENAPI_PATH, "utf8");
    contract = { yaml, document: parse(yaml) as StaticDocumentSpec["document"] };
  }
  return contract;
}

export const contractRoutes: FastifyPluginAsync = async (app) => {
  // Parsing the YAML takes a good part of a second on a busy machine: it is done at the first request
  // for the contract, not while the server starts. @fastify/swagger keeps this object and serves it.
  const document = {} as StaticDocumentSpec["document"];
  let filled = false;
  app.addHook("onRequest", async () => {
    if (filled) return;
    Object.assign(document, structuredClone(loadContract().document));
    filled = true;
  });
  await app.register(swagger, { mode: "static", specification: { document } });
  await app.register(swaggerUi, { routePrefix: REFERENCE_PREFIX, staticCSP: true, uiConfig: { deepLinking: true } });

  app.get("/openapi.json", async (request) => {
    noQuery(request.query);
    return app.swagger();
  });

  app.get("/openapi.yaml", async (request, reply) => {
    noQuery(request.query);
    return reply.type("application/yaml; charset=utf-8").send(loadContract().yaml);
  });
};
