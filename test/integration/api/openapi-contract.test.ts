/**
 * Keeps openapi.yaml true: the routes the app registers, the error catalogue, the job-definition
 * language and the example jobs are compared with the spec, so that changing one without the other
 * fails here with a message that says which side to update.
 */
import { readdir, readFile } from "node:fs/promises";
import { Ajv2020 } from "ajv/dist/2020.js";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, HTTPMethods } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { z } from "zod";
import { buildApp } from "../../../src/api/app.js";
import { ERROR_CATALOGUE, type ErrorCode } from "../../../src/api/errors.js";
import { declareStreamBody } from "../../../src/api/schemas/streams.js";
import { ManualClock } from "../../../src/engine/clock.js";
import { createEngine } from "../../../src/engine/engine.js";
import { compileJob } from "../../../src/engine/query/compile-job.js";
import { AGGREGATE_FUNCTIONS, jobDefinition, OPERATOR_NAMES, step } from "../../../src/engine/query/job-definition.js";
import { createMetrics } from "../../../src/metrics/metrics.js";
import { openMemoryStore } from "../../../src/store/memory/open-memory-store.js";
import { InThreadRunner } from "../../../src/workers/in-thread-runner.js";
import { isReferencePage, routesFromTree, type Route } from "../../support/app-routes.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const key = (r: Route) => `${r.method} ${r.url}`;

let spec: Json;
let app: FastifyInstance;

beforeAll(async () => {
  spec = parse(await readFile(join(ROOT, "openapi.yaml"), "utf8")) as Json;
  const store = openMemoryStore();
  const metrics = createMetrics({ defaultMetrics: false });
  const engine = createEngine({ store, runner: new InThreadRunner(), clock: new ManualClock(0), metrics });
  app = await buildApp({ engine, metrics });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
});

/** Resolves a local `$ref` (`#/components/...`), repeatedly, to the object it names. */
function deref<T = Json>(node: unknown): T {
  let current = node as Json;
  for (let hops = 0; current && typeof current === "object" && typeof current.$ref === "string"; hops++) {
    if (hops > 10) throw new Error(`$ref loop at ${String(current.$ref)}`);
    const ref: string = current.$ref;
    if (!ref.startsWith("#/")) throw new Error(`only local $refs are expected in openapi.yaml, got ${ref}`);
    current = ref
      .slice(2)
      .split("/")
      .reduce<Json>((at, part) => {
        const next = at?.[part.replace(/~1/g, "/").replace(/~0/g, "~")];
        if (next === undefined) throw new Error(`openapi.yaml: ${ref} does not resolve`);
        return next;
      }, spec);
  }
  return current as T;
}

interface Operation {
  readonly method: string;
  readonly path: string;
  readonly op: Json;
}

function operations(): Operation[] {
  return Object.entries(spec.paths as Json).flatMap(([path, item]) =>
    HTTP_METHODS.filter((m) => (item as Json)[m] !== undefined).map((m) => ({ method: m.toUpperCase(), path, op: (item as Json)[m] as Json })),
  );
}

/** `/v1/jobs/{id}` -> `/v1/jobs/:id` */
const toFastifyPath = (path: string) => path.replace(/\{([^}]+)\}/g, ":$1");


describe("openapi.yaml", () => {
  it("is OpenAPI 3.1 with paths and components", () => {
    expect(spec.openapi).toMatch(/^3\.1\./);
    expect(Object.keys(spec.paths).length).toBeGreaterThan(0);
    expect(spec.components?.schemas?.Error).toBeDefined();
  });

  it("lists every route the app registers, and no other (HEAD aside)", () => {
    const registered = routesFromTree(app.printRoutes({ commonPrefix: false }));
    // The tree reader is checked against Fastify itself, so a misread tree cannot hide a route.
    expect(registered.length).toBeGreaterThan(10);
    for (const route of registered.filter((r) => !isReferencePage(r.url))) {
      expect(app.hasRoute({ method: route.method as HTTPMethods, url: route.url }), `read ${key(route)} from printRoutes, but hasRoute denies it`).toBe(true);
    }
    // The browsable reference (/docs: Swagger UI's page and assets) shows this document; it is not part of it.
    const inApp = registered.filter((r) => r.method !== "HEAD" && !isReferencePage(r.url)).map(key).sort();
    const inSpec = operations().map((o) => key({ method: o.method, url: toFastifyPath(o.path) })).sort();

    const undocumented = inApp.filter((r) => !inSpec.includes(r));
    const unimplemented = inSpec.filter((r) => !inApp.includes(r));
    expect(undocumented, "routes the app serves that openapi.yaml does not describe").toEqual([]);
    expect(unimplemented, "routes openapi.yaml describes that the app does not serve").toEqual([]);
    for (const o of operations()) {
      expect(app.hasRoute({ method: o.method as HTTPMethods, url: toFastifyPath(o.path) }), `${o.method} ${o.path}`).toBe(true);
    }
  });

  it("gives every operation a summary, a description, an operationId and declared path parameters", () => {
    const ids = new Set<string>();
    for (const { method, path, op } of operations()) {
      const where = `${method} ${path}`;
      expect(op.summary, `${where}: summary`).toBeTruthy();
      expect(op.description, `${where}: description`).toBeTruthy();
      expect(op.operationId, `${where}: operationId`).toBeTruthy();
      expect(ids.has(op.operationId), `${where}: operationId ${op.operationId} is used twice`).toBe(false);
      ids.add(op.operationId);
      const params = [...((spec.paths[path] as Json).parameters ?? []), ...(op.parameters ?? [])].map((p: unknown) => deref(p));
      const declared = params.filter((p) => p.in === "path").map((p) => p.name as string).sort();
      const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!).sort();
      expect(declared, `${where}: path parameters`).toEqual(inPath);
    }
  });
});

/** A JSON pointer segment. */
const pointer = (parts: readonly string[]) => parts.map((p) => p.replace(/~/g, "~0").replace(/\//g, "~1")).join("/");

/** Every example in the spec with where its schema is: media types, parameters and component schemas. */
function examplesWithSchemas(): { where: string; schemaAt: string; value: unknown }[] {
  const found: { where: string; schemaAt: string; value: unknown }[] = [];
  const visit = (node: unknown, at: string[]): void => {
    if (!node || typeof node !== "object") return;
    const obj = node as Json;
    const isMedia = at.at(-2) === "content";
    const isParameter = obj.in !== undefined && obj.name !== undefined && obj.schema !== undefined;
    if ((isMedia || isParameter) && obj.schema !== undefined) {
      const schemaAt = `#/${pointer([...at, "schema"])}`;
      if (obj.example !== undefined) found.push({ where: `${at.join(" ")} example`, schemaAt, value: obj.example });
      for (const [name, example] of Object.entries((obj.examples ?? {}) as Json)) found.push({ where: `${at.join(" ")} examples.${name}`, schemaAt, value: deref(example).value });
    }
    for (const [key, child] of Object.entries(obj)) if (key !== "example" && key !== "examples") visit(child, [...at, key]);
  };
  visit(spec.paths, ["paths"]);
  visit(spec.components.responses, ["components", "responses"]);
  visit(spec.components.parameters, ["components", "parameters"]);
  for (const [name, schema] of Object.entries(spec.components.schemas as Json)) {
    const schemaAt = `#/${pointer(["components", "schemas", name])}`;
    if (schema.example !== undefined) found.push({ where: `${name} example`, schemaAt, value: schema.example });
    for (const [i, value] of ((schema.examples ?? []) as unknown[]).entries()) found.push({ where: `${name} examples[${i}]`, schemaAt, value });
  }
  return found;
}

describe("the served contract", () => {
  it("serves openapi.yaml as committed at /openapi.yaml, the same document as JSON at /openapi.json, and a reference at /docs", async () => {
    const yaml = await app.inject({ url: "/openapi.yaml" });
    expect(yaml.statusCode).toBe(200);
    expect(yaml.headers["content-type"]).toMatch(/^application\/yaml/);
    expect(yaml.body).toBe(await readFile(join(ROOT, "openapi.yaml"), "utf8"));
    const json = await app.inject({ url: "/openapi.json" });
    expect(json.statusCode).toBe(200);
    expect(json.json()).toEqual(spec);
    const page = await app.inject({ url: "/docs" });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    expect(page.body).toContain("swagger-ui");
    // The page loads its assets and the document from the server itself.
    const initializer = await app.inject({ url: "/docs/static/swagger-initializer.js" });
    expect(initializer.statusCode).toBe(200);
    const documentUrl = /url: resolveUrl\('([^']+)'\)/.exec(initializer.body)?.[1];
    expect(documentUrl).toBeDefined();
    expect(initializer.body).toContain("validatorUrl: null"); // nothing is sent to an outside validator
    const fromPage = await app.inject({ url: new URL(documentUrl!, "http://x/docs/").pathname });
    expect(fromPage.json()).toEqual(spec);
    for (const asset of ["/docs/static/swagger-ui-bundle.js", "/docs/static/swagger-ui.css"]) expect((await app.inject({ url: asset })).statusCode, asset).toBe(200);
  });
});

describe("examples in openapi.yaml", () => {
  it("every example validates against its schema", () => {
    // OpenAPI 3.1 schemas are JSON Schema 2020-12; its own keywords (discriminator, example) are not checked here.
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema({ ...spec, $id: "openapi" });
    const examples = examplesWithSchemas();
    expect(examples.length).toBeGreaterThan(50);
    const invalid = examples.flatMap(({ where, schemaAt, value }) => {
      const validate = ajv.getSchema(`openapi${schemaAt}`);
      if (!validate) return [`${where}: no schema at ${schemaAt}`];
      return validate(value) ? [] : [`${where}: ${ajv.errorsText(validate.errors)}`];
    });
    expect(invalid).toEqual([]);
  });
});

describe("query strings", () => {
  it("every route but /metrics refuses an unknown query parameter with 400 INVALID_REQUEST naming it, as the spec says", async () => {
    expect(spec.info.description).toMatch(/an unknown query parameter is `400 INVALID_REQUEST` \(on every route but\s+`\/metrics` and the `\/docs` reference pages\)/);
    const v1 = operations().filter((o) => o.path !== "/metrics");
    expect(v1.length).toBeGreaterThan(10);
    for (const { method, path, op } of v1) {
      expect(Object.keys(op.responses ?? {}), `${method} ${path} documents its 400`).toContain("400");
      const url = `${path.replace(/\{[^}]+\}/g, "x")}?bogus=1`;
      const res = await app.inject({ method: method as HTTPMethods, url, headers: { accept: "text/event-stream" } });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(400);
      expect(res.json().error.code, `${method} ${url}`).toBe("INVALID_REQUEST");
      expect(res.json().error.message, `${method} ${url}`).toMatch(/bogus/);
    }
  });
});

describe("error catalogue", () => {
  const catalogueCodes = () => Object.keys(ERROR_CATALOGUE).sort();

  /** Every documented response, with its status, resolved through $refs. */
  const responses = () =>
    operations().flatMap(({ method, path, op }) =>
      Object.entries((op.responses ?? {}) as Json).map(([status, response]) => ({ where: `${method} ${path} ${status}`, path, status, response: deref(response) })),
    );

  it("the Error schema's code enum is exactly the catalogue's codes", () => {
    const errorSchema = deref(spec.components.schemas.Error);
    const codes = errorSchema.properties.error.properties.code.enum as string[];
    expect(new Set(codes).size, "the enum repeats a code").toBe(codes.length);
    expect([...codes].sort()).toEqual(catalogueCodes());
    expect(errorSchema.properties.error.required).toEqual(expect.arrayContaining(["code", "message"]));
  });

  it("the Error schema's table gives each code its catalogue status", () => {
    const description = deref(spec.components.schemas.Error).description as string;
    for (const [code, { status }] of Object.entries(ERROR_CATALOGUE)) {
      expect(description, `table row for ${code}`).toMatch(new RegExp(`\\|\\s*\`${code}\`\\s*\\|\\s*${status}\\s*\\|`));
    }
    expect((description.match(/^\|\s*`[A-Z_]+`/gm) ?? []).length, "one table row per code").toBe(catalogueCodes().length);
  });

  it("every catalogue status is a documented response of some route", () => {
    const statuses = new Set(responses().map((r) => Number(r.status)));
    for (const [code, { status }] of Object.entries(ERROR_CATALOGUE)) {
      expect(statuses.has(status), `${code} (${status}) is not a response of any route`).toBe(true);
    }
  });

  it("a known path with a method it lacks is NOT_FOUND, as the spec says", async () => {
    for (const [method, url] of [["PATCH", "/v1/jobs/x"], ["PUT", "/v1/streams"]] as const) {
      const res = await app.inject({ method, url });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json().error.code).toBe("NOT_FOUND");
    }
  });

  it("every error response uses the Error schema, and its examples carry a code of that status", () => {
    for (const { where, path, status, response } of responses()) {
      if (Number(status) < 400) continue;
      const content = response.content?.["application/json"];
      expect(content, `${where}: application/json content`).toBeDefined();
      expect(content.schema?.$ref, `${where}: schema`).toBe("#/components/schemas/Error");
      const examples = [content.example, ...Object.values((content.examples ?? {}) as Json).map((e) => deref(e).value)].filter((e) => e !== undefined);
      expect(examples.length, `${where}: at least one example`).toBeGreaterThan(0);
      for (const example of examples) {
        const code = example.error?.code as ErrorCode;
        expect(Object.keys(ERROR_CATALOGUE), `${where}: example code`).toContain(code);
        expect(typeof example.error.message, `${where}: example message`).toBe("string");
        const expected = ERROR_CATALOGUE[code].status;
        expect(Number(status), `${where}: example ${code}`).toBe(expected);
      }
    }
  });

  it("every 503 documents Retry-After", () => {
    const unavailable = responses().filter((r) => r.status === "503");
    expect(unavailable.length).toBeGreaterThan(0);
    for (const { where, response } of unavailable) {
      expect(Object.keys(response.headers ?? {}), where).toContain("Retry-After");
    }
  });
});

describe("job definition language", () => {
  const schemas = () => spec.components.schemas as Json;
  const stepSchemas = () => (schemas().Step.oneOf as Json[]).map((s) => ({ ref: s.$ref as string, schema: deref(s) }));

  /** Field names of a zod object, split into required and optional (optional or defaulted). */
  const fields = (shape: Record<string, z.ZodType>) => ({
    all: Object.keys(shape).sort(),
    required: Object.entries(shape)
      .filter(([, s]) => !s.safeParse(undefined).success)
      .map(([k]) => k)
      .sort(),
  });

  it("the step ops are OPERATOR_NAMES, with a discriminator on op", () => {
    const ops = stepSchemas().map((s) => s.schema.properties.op.const as string);
    expect([...ops].sort()).toEqual([...OPERATOR_NAMES].sort());
    const discriminator = schemas().Step.discriminator as Json;
    expect(discriminator.propertyName).toBe("op");
    expect(Object.keys(discriminator.mapping).sort()).toEqual([...OPERATOR_NAMES].sort());
    for (const { ref, schema } of stepSchemas()) expect(discriminator.mapping[schema.properties.op.const], ref).toBe(ref);
  });

  it("each step schema has the fields, and the required fields, of its zod schema", () => {
    const byOp = new Map(stepSchemas().map((s) => [s.schema.properties.op.const as string, s.schema]));
    for (const option of step.options) {
      const shape = option.shape as Record<string, z.ZodType>;
      const op = (shape.op as unknown as { value: string }).value;
      const documented = byOp.get(op);
      expect(documented, `step ${op}`).toBeDefined();
      const { all, required } = fields(shape);
      expect(Object.keys(documented!.properties).sort(), `step ${op}: fields`).toEqual(all);
      expect([...(documented!.required ?? [])].sort(), `step ${op}: required fields`).toEqual(required);
      expect(documented!.additionalProperties, `step ${op}: unknown fields are refused`).toBe(false);
    }
  });

  it("JobDefinition and StreamSpec have the fields of their zod schemas", () => {
    for (const [name, zodSchema] of [["JobDefinition", jobDefinition], ["StreamSpec", declareStreamBody]] as const) {
      const documented = deref(schemas()[name]);
      const { all, required } = fields(zodSchema.shape as Record<string, z.ZodType>);
      expect(Object.keys(documented.properties).sort(), `${name}: fields`).toEqual(all);
      expect([...documented.required].sort(), `${name}: required fields`).toEqual(required);
      expect(documented.additionalProperties, `${name}: unknown fields are refused`).toBe(false);
    }
  });

  it("the aggregate fn enum is AGGREGATE_FUNCTIONS", () => {
    expect([...(schemas().Aggregation.properties.fn.enum as string[])].sort()).toEqual([...AGGREGATE_FUNCTIONS].sort());
  });
});

describe("examples", () => {
  it("every examples/*/*.json job definition compiles", async () => {
    const dirs = await readdir(join(ROOT, "examples"), { withFileTypes: true }).catch(() => []);
    const files: string[] = [];
    for (const dir of dirs.filter((d) => d.isDirectory())) {
      for (const file of await readdir(join(ROOT, "examples", dir.name))) if (file.endsWith(".json")) files.push(join("examples", dir.name, file));
    }
    if (dirs.length > 0) expect(files.length, "examples/ holds no job definitions").toBeGreaterThan(0);
    for (const file of files) {
      const definition = JSON.parse(await readFile(join(ROOT, file), "utf8")) as unknown;
      expect(() => compileJob(definition), file).not.toThrow();
    }
  });

  it("every job definition shown in openapi.yaml compiles", () => {
    const definitions: { where: string; definition: unknown }[] = [
      { where: "JobDefinition.example", definition: spec.components.schemas.JobDefinition.example },
    ];
    for (const { method, path, op } of operations()) {
      const body = op.requestBody?.content?.["application/json"];
      if (deref(body?.schema ?? {}) === spec.components.schemas.JobDefinition) definitions.push({ where: `${method} ${path} request example`, definition: body.example });
      for (const [status, response] of Object.entries((op.responses ?? {}) as Json)) {
        const example = deref(response).content?.["application/json"]?.example as Json | undefined;
        // Jobs as GET /v1/jobs lists them (GET /v1/cluster's jobs are placements, without a definition).
        const jobs = ((example?.jobs ?? (example?.definition ? [example] : [])) as Json[]).filter((job) => path !== "/v1/cluster" || job.definition !== undefined);
        for (const job of jobs) definitions.push({ where: `${method} ${path} ${status}`, definition: job.definition });
      }
    }
    expect(definitions.length).toBeGreaterThan(3);
    for (const { where, definition } of definitions) expect(() => compileJob(definition), where).not.toThrow();
  });
});
