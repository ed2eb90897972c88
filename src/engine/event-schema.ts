/**
 * A stream's declared JSON Schema (2020-12) for its events: checked once when the stream is declared,
 * compiled once per schema per thread (ajv), then run on every event of every ingest, before anything
 * is stored.
 *
 * A schema is the user's input that then runs on every event, so what it may cost is bounded when it
 * is declared (event-schema-bounds.ts). A pattern is also only run on strings of up to
 * {@link EVENT_SCHEMA_LIMITS.maxPatternInput} characters, so even a pattern that passes those checks
 * but backtracks polynomially stays cheap; a longer string fails it, in words.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import { EVENT_SCHEMA_LIMITS, schemaCostProblem } from "./event-schema-bounds.js";

export { EVENT_SCHEMA_LIMITS } from "./event-schema-bounds.js";

/** Where an event departs from its stream's schema, in words a sender can act on. */
export interface SchemaMismatch {
  /** The field, as a path into the event (`text`, `user.id`, `tags[2]`); "" for the event itself. */
  readonly field: string;
  /** What the schema expected there (ajv's words: `must be string`, `must have required property 'text'`). */
  readonly expected: string;
}

/** A compiled schema: the first mismatch of an event, or undefined when it matches. */
export type EventValidator = (event: unknown) => SchemaMismatch | undefined;

/** Runs a pattern only on strings it can judge cheaply; see the file's comment. */
const boundedRegExp = Object.assign(
  (pattern: string, flags: string) => {
    const re = new RegExp(pattern, flags);
    // ajv keeps compiled patterns by their text (toString), shared between schemas.
    return { test: (s: string) => s.length <= EVENT_SCHEMA_LIMITS.maxPatternInput && re.test(s), toString: () => `bounded ${re}` };
  },
  { code: "boundedRegExp" },
);

// One instance per thread. strict: an unknown keyword (a misspelt "requird") is refused rather than
// ignored; strictTypes off, so `properties` needs no `type: "object"` beside it.
const ajv = new Ajv2020({
  strict: true,
  strictTypes: false,
  strictTuples: false,
  strictRequired: false,
  allowUnionTypes: true,
  allErrors: false,
  logger: false,
  code: { regExp: boundedRegExp },
});

/** Compiled schemas by their JSON text, so each thread compiles a stream's schema once. */
const validators = new Map<string, EventValidator>();
/** The same, by the definition's schema object, so that a body's events need no lookup by text. */
const byObject = new WeakMap<object, EventValidator>();
const MAX_VALIDATORS = 512;

/**
 * Why `schema` cannot be a stream's event schema, or undefined when it can (it is then compiled and
 * cached). The message names the place in the schema and what to change.
 */
export function eventSchemaProblem(schema: unknown): string | undefined {
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) {
    return "must be a JSON Schema object, e.g. {\"type\": \"object\", \"properties\": {\"text\": {\"type\": \"string\"}}, \"required\": [\"text\"]}";
  }
  const chars = JSON.stringify(schema).length;
  if (chars > EVENT_SCHEMA_LIMITS.maxChars) {
    return `is ${chars} characters as JSON; a stream's schema may have at most ${EVENT_SCHEMA_LIMITS.maxChars} (it runs on every event)`;
  }
  const shapeProblem = schemaCostProblem(schema);
  if (shapeProblem) return shapeProblem;
  try {
    compile(schema);
  } catch (error) {
    const message = (error as Error).message;
    if (message.startsWith("unknown format")) return `uses "format", which streams do not check (${message.replace(/ ignored.*/, "")}); describe the text with "pattern" instead`;
    return `is not a valid JSON Schema (2020-12): ${message}`;
  }
  return undefined;
}

/** The validator of a schema that passed {@link eventSchemaProblem} (compiled on first use in this thread). */
export function eventValidator(schema: Record<string, unknown>): EventValidator {
  return byObject.get(schema) ?? compile(schema);
}

function compile(schema: object): EventValidator {
  const text = JSON.stringify(schema);
  let validator = validators.get(text);
  if (!validator) {
    const validate = ajv.compile(schema);
    // Compiled schemas are kept by ajv only under an $id; these have none, so dropping ours frees them.
    validator = (event) => (validate(event) ? undefined : mismatchOf(validate, event));
    if (validators.size >= MAX_VALIDATORS) validators.delete(validators.keys().next().value!);
    validators.set(text, validator);
  }
  byObject.set(schema, validator);
  return validator;
}

function mismatchOf(validate: ValidateFunction, event: unknown): SchemaMismatch {
  const error = validate.errors?.[0];
  if (!error) return { field: "", expected: "must match the stream's schema" };
  return { field: fieldOf(error), expected: expectedOf(error, event) };
}

/** The field an error is about: for a missing or extra property, that property. */
function fieldOf(error: ErrorObject): string {
  const path = error.instancePath
    .split("/")
    .slice(1)
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((out, part) => (/^\d+$/.test(part) ? `${out}[${part}]` : out === "" ? part : `${out}.${part}`), "");
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  const named = params.missingProperty ?? params.additionalProperty;
  return named === undefined ? path : path === "" ? named : `${path}.${named}`;
}

function expectedOf(error: ErrorObject, event: unknown): string {
  const params = error.params as { missingProperty?: string; additionalProperty?: string; pattern?: string };
  if (error.keyword === "required") return "is required";
  if (error.keyword === "additionalProperties") return "is not a field the stream's schema allows (it sets additionalProperties: false)";
  if (error.keyword === "pattern") {
    const value = valueAt(event, error.instancePath);
    if (typeof value === "string" && value.length > EVENT_SCHEMA_LIMITS.maxPatternInput) {
      return `is ${value.length} characters; a field with a pattern may have at most ${EVENT_SCHEMA_LIMITS.maxPatternInput}`;
    }
  }
  const got = valueAt(event, error.instancePath);
  return `${error.message ?? "must match the stream's schema"} (got ${describe(got)})`;
}

function valueAt(event: unknown, pointer: string): unknown {
  let value = event;
  for (const part of pointer.split("/").slice(1)) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  return value;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${typeof value} ${text.slice(0, 37)}...` : text;
}

