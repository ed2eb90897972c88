/**
 * Request bodies for the fuzz suite: valid documents (job definitions, stream declarations, events)
 * with a few mutations each — a value of the wrong type, a huge or odd number, deep nesting, a
 * prototype key, unusual unicode, an empty value, a key removed — and raw texts no serializer writes.
 */
import fc from "fast-check";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Text with lone surrogates, control characters, emoji and right-to-left marks among the usual. */
export const oddText = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.constantFrom("", " ", "\u0000", "\ud800", "\udfff", "💥", "\u202e", "é", "\ufeff", "a\nb", "%00", "../..", "x".repeat(300), "__proto__", "constructor", "toString"),
);

const hugeNumber = fc.constantFrom(1e308, -1e308, 2 ** 53 + 1, -(2 ** 63), 1e21, 5e-324, -0, 0.1, 1.5, 4294967296, 1e6, -1);

/** A structure nested `depth` deep, alternating objects and arrays. */
function nested(depth: number): Json {
  let value: Json = 1;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { n: value };
  return value;
}

const nasty: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, true, false, 0, "", [], {}, [null], { "": null }),
  hugeNumber,
  oddText,
  fc.integer({ min: 2, max: 200 }).map(nested),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
);

type Mutation =
  | { kind: "set"; value: Json }
  | { kind: "delete" }
  | { kind: "protoKey"; key: string; value: Json }
  | { kind: "renameKey"; key: string }
  | { kind: "wrapInArray" };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: nasty.map((value) => ({ kind: "set" as const, value })) },
  { weight: 1, arbitrary: fc.constant({ kind: "delete" as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("protoKey" as const), key: fc.constantFrom("__proto__", "constructor", "prototype"), value: fc.oneof(fc.constant<Json>({ polluted: true }), nasty) }) },
  { weight: 1, arbitrary: oddText.map((key) => ({ kind: "renameKey" as const, key })) },
  { weight: 1, arbitrary: fc.constant({ kind: "wrapInArray" as const }) },
);

/** Every object and array in a document, nested ones included: a mutation picks one by index. */
function containers(doc: Json): (Json[] | { [key: string]: Json })[] {
  const found: (Json[] | { [key: string]: Json })[] = [];
  const pending: Json[] = [doc];
  while (pending.length > 0) {
    const value = pending.pop()!;
    if (value === null || typeof value !== "object") continue;
    found.push(value);
    pending.push(...(Array.isArray(value) ? value : Object.values(value)));
  }
  return found;
}

/** Sets an own property, even one named __proto__ (plain assignment would change the prototype). */
function define(target: { [key: string]: Json }, key: string, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function apply(doc: Json, [where, which, original]: [number, number, Mutation]): Json {
  // The generated values are fast-check's to reuse while shrinking: mutate copies only.
  const m = structuredClone(original);
  const all = containers(doc);
  if (all.length === 0) return m.kind === "set" ? m.value : doc;
  const target = all[where % all.length]!;
  const keys = Array.isArray(target) ? target.map((_, i) => String(i)) : Object.keys(target);
  const key = keys.length === 0 ? undefined : keys[which % keys.length]!;
  if (m.kind === "protoKey" && !Array.isArray(target)) {
    define(target, m.key, m.value);
    return doc;
  }
  if (key === undefined) return doc;
  const slot = target as { [key: string]: Json };
  switch (m.kind) {
    case "set":
      if (Array.isArray(target)) target[Number(key)] = m.value;
      else define(slot, key, m.value);
      break;
    case "delete":
      if (Array.isArray(target)) target.splice(Number(key), 1);
      else delete slot[key];
      break;
    case "renameKey":
      if (!Array.isArray(target)) {
        const value = slot[key]!;
        delete slot[key];
        define(slot, m.key, value);
      }
      break;
    case "wrapInArray":
      if (Array.isArray(target)) target[Number(key)] = [target[Number(key)]!];
      else define(slot, key, [slot[key]!]);
      break;
    default:
      break;
  }
  return doc;
}

/** `template` (a fresh copy per case) with 0-4 mutations applied, as JSON text. */
export function mutated(templates: readonly Json[]): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...templates), fc.array(fc.tuple(fc.nat(), fc.nat(), mutation), { maxLength: 4 }))
    .map(([template, mutations]) => JSON.stringify(mutations.reduce(apply, structuredClone(template))));
}

/** Texts no JSON serializer writes: truncated, deeply nested, odd literals, not JSON at all. */
export const rawText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("", " ", "{", "[", "}", "null", "true", "0", '""', "[]", "{}", "NaN", "Infinity", "1e999", "-", "{,}", '{"a":}', "\ufeff{}", "{'a':1}", '{"a":1}{"b":2}', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '{"a":1,"a":2}'),
  fc.integer({ min: 10, max: 20_000 }).chain((n) => fc.constantFrom(`${"[".repeat(n)}${"]".repeat(n)}`, `${'{"a":'.repeat(n)}1${"}".repeat(n)}`, `[${'{"a":'.repeat(n)}1${"}".repeat(n)}]`, "[".repeat(n))),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.tuple(fc.jsonValue({ maxDepth: 3 }), fc.nat()).map(([v, cut]) => {
    const text = JSON.stringify(v);
    return text.slice(0, cut % (text.length + 1));
  }),
);

/** NDJSON: good events, blank and whitespace lines, broken JSON, non-objects, deep lines, CRLF endings. */
export function ndjson(eventTemplates: readonly Json[]): fc.Arbitrary<string> {
  const line = fc.oneof(
    { weight: 4, arbitrary: mutated(eventTemplates) },
    { weight: 1, arbitrary: fc.constantFrom("", " ", "\t", "\r", "{", "}", "[1,2]", "5", '"text"', "null", '{"a":1} {"b":2}', '{"a":1}\r') },
    { weight: 1, arbitrary: rawText.filter((s) => !s.includes("\n")) },
  );
  return fc.tuple(fc.array(line, { maxLength: 8 }), fc.constantFrom("\n", "\r\n", "\n\n"), fc.boolean()).map(([lines, sep, trailing]) => lines.join(sep) + (trailing ? sep : ""));
}
