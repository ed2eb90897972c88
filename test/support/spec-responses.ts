/**
 * Checks an answer of the server against openapi.yaml: its route and status are documented, its
 * content type is one the spec gives for that status, and a JSON body validates against the schema.
 */
import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { parse } from "yaml";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const escape = (part: string) => part.replace(/~/g, "~0").replace(/\//g, "~1");

export class SpecResponses {
  private readonly spec: Json;
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly paths: { template: string; pattern: RegExp }[];

  constructor(specPath: string) {
    this.spec = parse(readFileSync(specPath, "utf8")) as Json;
    this.ajv.addSchema({ ...this.spec, $id: "openapi" });
    // A literal path wins over a template that also matches it (/v1/jobs/validate, not /v1/jobs/{id}).
    const params = (template: string) => (template.match(/\{/g) ?? []).length;
    this.paths = Object.keys(this.spec.paths as Json)
      .sort((a, b) => params(a) - params(b))
      .map((template) => ({ template, pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`) }));
  }

  /** Every operation of the spec, as "METHOD /path/{param}". */
  operations(): string[] {
    return Object.entries(this.spec.paths as Json).flatMap(([template, item]) =>
      Object.keys(item as Json)
        .filter((key) => ["get", "put", "post", "delete", "patch"].includes(key))
        .map((method) => `${method.toUpperCase()} ${template}`),
    );
  }

  /** The operation a request is, as "METHOD /path/{param}" (undefined: none). */
  operationOf(method: string, url: string): string | undefined {
    const path = url.split("?")[0]!;
    const template = this.paths.find((p) => p.pattern.test(path))?.template;
    return template && (this.spec.paths[template] as Json)[method.toLowerCase()] ? `${method} ${template}` : undefined;
  }

  /** What is wrong with this answer, as the spec has it; [] when nothing. */
  problems(method: string, url: string, status: number, contentType: string | undefined, body: string): string[] {
    const path = url.split("?")[0]!;
    const where = `${method} ${path} ${status}`;
    const template = this.paths.find((p) => p.pattern.test(path))?.template;
    if (!template) return [`${where}: no path of the spec matches`];
    const operation = (this.spec.paths[template] as Json)[method.toLowerCase()] as Json | undefined;
    if (!operation) return [`${where}: ${template} has no ${method}`];
    let response = operation.responses?.[String(status)] as Json | undefined;
    if (!response) return [`${where}: status ${status} is not documented for ${method} ${template}`];
    let at = ["paths", template, method.toLowerCase(), "responses", String(status)];
    if (typeof response.$ref === "string") {
      at = (response.$ref as string).slice(2).split("/");
      response = this.resolve(at);
    }
    if (!response.content) return body === "" ? [] : [`${where}: the spec documents no body, the server sent one`];
    const mediaType = (contentType ?? "").split(";")[0]!.trim();
    const documented = Object.keys(response.content as Json);
    const match = documented.find((m) => m.split(";")[0]!.trim() === mediaType);
    if (!match) return [`${where}: content type ${mediaType} is not one of ${documented.join(", ")}`];
    if (mediaType !== "application/json") return [];
    const validate = this.ajv.getSchema(`openapi#/${[...at, "content", match, "schema"].map(escape).join("/")}`);
    if (!validate) return [`${where}: no schema for ${match}`];
    return validate(JSON.parse(body)) ? [] : [`${where}: ${this.ajv.errorsText(validate.errors)}`];
  }

  /** What is wrong with `value` as the spec's components/schemas/`name` has it (a live message, say); [] when nothing. */
  schemaProblems(name: string, value: unknown): string[] {
    const validate = this.ajv.getSchema(`openapi#/components/schemas/${escape(name)}`);
    if (!validate) return [`no schema ${name} in the spec`];
    return validate(value) ? [] : [`${name}: ${this.ajv.errorsText(validate.errors)}`];
  }

  private resolve(at: readonly string[]): Json {
    return at.reduce<Json>((node, part) => node[part.replace(/~1/g, "/").replace(/~0/g, "~")] as Json, this.spec);
  }
}
