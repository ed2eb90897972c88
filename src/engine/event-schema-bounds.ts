/**
 * What a stream's event schema may cost, checked when it is declared (see event-schema.ts): its
 * depth, where its `$ref`s point and what they expand to, its patterns' shapes, `uniqueItems`, and how
 * often its alternatives may be tried on one event. Each check names the place in the schema and what
 * to change.
 */
import { EVENT_LIMITS } from "./event-limits.js";

export const EVENT_SCHEMA_LIMITS = {
  /** Characters of the schema as JSON text. */
  maxChars: 16 * 1024,
  /** Objects and arrays inside each other in the schema. */
  maxDepth: 16,
  /** Characters of one `pattern` (or `patternProperties` key). */
  maxPatternChars: 256,
  /** The longest string a `pattern` is run on. */
  maxPatternInput: 4096,
  /**
   * Schema objects with every `$ref` followed (what one event may be checked against): refs shared by
   * many places would otherwise multiply (30 levels of two refs each: 2^30 checks an event).
   */
  maxExpandedNodes: 1000,
  /** Times alternatives may be tried on one event, each costing about 2 us when it fails (see expansionProblem). */
  maxAlternativeChecks: 20_000,
  /** `uniqueItems` compares every pair of items unless they are scalars: the most items it then allows. */
  maxUniqueItems: 256,
} as const;

/** Why `schema` could cost too much on an event, or undefined. */
export function schemaCostProblem(schema: object): string | undefined {
  return walkProblem(schema) ?? expansionProblem(schema);
}

/** Checks depth, references and patterns without recursion. */
function walkProblem(schema: object): string | undefined {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: schema, path: "", depth: 1 }];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    if (value === null || typeof value !== "object") continue;
    if (depth > EVENT_SCHEMA_LIMITS.maxDepth) return `nests more than ${EVENT_SCHEMA_LIMITS.maxDepth} deep at ${path || "/"}; flatten it`;
    if (Array.isArray(value)) {
      value.forEach((item, i) => stack.push({ value: item, path: `${path}/${i}`, depth: depth + 1 }));
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      const at = `${path}/${key}`;
      if (key === "$ref" && (typeof item !== "string" || !(item === "#" || item.startsWith("#/")))) {
        return `has $ref ${JSON.stringify(item)} at ${at}: a stream's schema may refer only inside itself by JSON pointer ("#/$defs/..."); nothing is fetched`;
      }
      if (["$id", "$anchor", "$dynamicRef", "$dynamicAnchor", "$recursiveRef", "$recursiveAnchor"].includes(key) && path !== "") {
        return `has ${key} at ${at}; a stream's schema refers inside itself only by JSON pointer ("$ref": "#/$defs/..."): remove it`;
      }
      if (key === "uniqueItems" && item === true && !uniqueItemsBounded(value as Record<string, unknown>)) {
        return `has uniqueItems at ${at} without "maxItems" of at most ${EVENT_SCHEMA_LIMITS.maxUniqueItems} or "items" of a scalar type beside it; comparing every pair of a long array's items costs too much (add "maxItems": ${EVENT_SCHEMA_LIMITS.maxUniqueItems})`;
      }
      if (key === "$schema" && item !== "https://json-schema.org/draft/2020-12/schema") {
        return `says "$schema": ${JSON.stringify(item)}; streams take JSON Schema 2020-12 (leave "$schema" out, or give "https://json-schema.org/draft/2020-12/schema")`;
      }
      if (key === "pattern" && typeof item === "string") {
        const problem = patternProblem(item);
        if (problem) return `has a pattern at ${at} that ${problem}`;
      }
      if (key === "patternProperties" && item !== null && typeof item === "object") {
        for (const pattern of Object.keys(item)) {
          const problem = patternProblem(pattern);
          if (problem) return `has a pattern at ${at} (${JSON.stringify(pattern)}) that ${problem}`;
        }
      }
      stack.push({ value: item, path: at, depth: depth + 1 });
    }
  }
  return undefined;
}

/** Whether uniqueItems is cheap here: the items are scalars (compared by hashing), or few. */
function uniqueItemsBounded(schema: Record<string, unknown>): boolean {
  const maxItems = schema.maxItems;
  if (typeof maxItems === "number" && maxItems <= EVENT_SCHEMA_LIMITS.maxUniqueItems) return true;
  const type = (schema.items as { type?: unknown } | null | undefined)?.type;
  const types = Array.isArray(type) ? type : [type];
  return types.length > 0 && types.every((t) => t === "string" || t === "number" || t === "integer" || t === "boolean" || t === "null");
}

/**
 * Refuses a schema that, with every `$ref` followed, has more than maxExpandedNodes objects, whose
 * refs loop back into themselves (a ref that reaches itself without reading deeper into the event
 * never ends), or whose alternatives may be tried too many times on one event.
 *
 * The last is the costly case: each alternative (of anyOf, oneOf, not, if, contains) that fails makes
 * an error, about 2 us; under `items` it is tried for every element, and a 64 KiB event can hold
 * 32,000 of them (300 alternatives under `items` took 4 s on one event). So each schema object inside
 * an alternative counts as many times as it may be applied (an array's `maxItems`, an object's
 * `maxProperties`, or as many as an event can hold), and the sum is bounded by maxAlternativeChecks.
 */
function expansionProblem(schema: object): string | undefined {
  let nodes = 0;
  let alternativeChecks = 0;
  const stack: { value: unknown; refs: readonly string[]; times: number; alternative: boolean }[] = [{ value: schema, refs: [], times: 1, alternative: false }];
  while (stack.length > 0) {
    const { value, refs, times, alternative } = stack.pop()!;
    if (value === null || typeof value !== "object" || Array.isArray(value)) continue; // true, false
    nodes += 1;
    if (nodes > EVENT_SCHEMA_LIMITS.maxExpandedNodes) {
      return `has more than ${EVENT_SCHEMA_LIMITS.maxExpandedNodes} schema objects once its $refs are followed (each place a $ref is used counts its target again); simplify it`;
    }
    if (alternative) alternativeChecks += times;
    if (alternativeChecks > EVENT_SCHEMA_LIMITS.maxAlternativeChecks) {
      return `could try its alternatives (anyOf, oneOf, not, if, contains) more than ${EVENT_SCHEMA_LIMITS.maxAlternativeChecks} times on one event; give the arrays and objects they apply to a small "maxItems" or "maxProperties", or use fewer alternatives`;
    }
    const node = value as Record<string, unknown>;
    const items = Math.min(MAX_EVENT_ITEMS, times * (typeof node.maxItems === "number" ? node.maxItems : MAX_EVENT_ITEMS));
    const properties = Math.min(MAX_EVENT_ITEMS, times * (typeof node.maxProperties === "number" ? node.maxProperties : EVENT_LIMITS.maxFields));
    for (const [key, item] of Object.entries(node)) {
      const push = (sub: unknown, subTimes = times, subAlternative = alternative) => stack.push({ value: sub, refs, times: subTimes, alternative: subAlternative });
      if (key === "$ref" && typeof item === "string") {
        if (refs.includes(item)) return `refers to ${item} from inside itself; recursive schemas are not supported (spell out the levels an event may have)`;
        const target = resolvePointer(schema, item);
        if (target === undefined) return `has $ref ${JSON.stringify(item)}, which points at nothing in the schema`;
        stack.push({ value: target, refs: [...refs, item], times, alternative });
      } else if (key === "properties" || key === "dependentSchemas") {
        for (const sub of Object.values(item as object)) push(sub);
      } else if (key === "patternProperties") {
        for (const sub of Object.values(item as object)) push(sub, properties);
      } else if (key === "additionalProperties" || key === "unevaluatedProperties" || key === "propertyNames") {
        push(item, properties);
      } else if (key === "items" || key === "additionalItems" || key === "unevaluatedItems" || key === "prefixItems") {
        for (const sub of Array.isArray(item) ? item : [item]) push(sub, items);
      } else if (key === "contains") {
        push(item, items, true);
      } else if (key === "anyOf" || key === "oneOf") {
        for (const sub of item as unknown[]) push(sub, times, true);
      } else if (key === "allOf") {
        for (const sub of item as unknown[]) push(sub);
      } else if (key === "not" || key === "if" || key === "then" || key === "else") {
        push(item, times, true);
      }
      // $defs are counted where they are used; other keywords hold values, not schemas.
    }
  }
  return undefined;
}

/** The most array elements (or values) a 64 KiB event can hold: "1," each. */
const MAX_EVENT_ITEMS = Math.ceil(EVENT_LIMITS.maxBytes / 2);

function resolvePointer(schema: object, ref: string): unknown {
  let value: unknown = schema;
  for (const part of ref.slice(1).split("/").slice(1)) {
    if (value === null || typeof value !== "object") return undefined;
    const key = decodeURIComponent(part).replace(/~1/g, "/").replace(/~0/g, "~");
    if (!Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/**
 * Why a pattern could take time without end on some string, or undefined. Refused shapes: a
 * quantified group holding a quantifier or an alternation (`(a+)+`, `(a|aa)*`, `(\w+\s?)*`), a
 * backreference, a lookaround.
 */
export function patternProblem(pattern: string): string | undefined {
  if (pattern.length > EVENT_SCHEMA_LIMITS.maxPatternChars) {
    return `is ${pattern.length} characters; a pattern may have at most ${EVENT_SCHEMA_LIMITS.maxPatternChars}`;
  }
  try {
    new RegExp(pattern, "u");
  } catch (error) {
    return `is not a regular expression (${(error as Error).message})`;
  }
  if (/\\[1-9]|\\k</.test(pattern)) return "uses a backreference, which can make matching take exponential time; rewrite it without";
  if (/\(\?<?[=!]/.test(pattern)) return "uses a lookaround; rewrite it without";
  // Groups open on the stack; each remembers whether it holds a quantifier or an alternation.
  const open: boolean[] = [];
  let risky = false; // of the group that just closed
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "\\") {
      i += 1;
      risky = false;
      continue;
    }
    if (c === "[") {
      // A character class: skip to its end (a quantifier inside it is a literal).
      for (i += 1; i < pattern.length && pattern[i] !== "]"; i++) if (pattern[i] === "\\") i += 1;
      risky = false;
      continue;
    }
    // Exact counts ({3}) cannot backtrack; {n,}, {n,m}, * and + can.
    const quantifier = c === "*" || c === "+" || (c === "{" && /^\{\d+,\d*\}/.test(pattern.slice(i)));
    if (quantifier && risky) {
      return "repeats a group that itself repeats or alternates (like (a+)+ or (a|b)*), which can make matching take exponential time; repeat a character class instead, e.g. [ab]*";
    }
    if (quantifier || c === "|") {
      if (open.length > 0) open[open.length - 1] = true;
    }
    if (c === "(") open.push(false);
    risky = c === ")" ? (open.pop() ?? false) : false;
    if (c === ")" && risky && open.length > 0) open[open.length - 1] = true;
  }
  return undefined;
}
