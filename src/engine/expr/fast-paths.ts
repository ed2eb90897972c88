/**
 * The expression shapes that run once per event in most jobs, evaluated directly instead of through
 * the CEL interpreter:
 *
 *   f.contains('x')   f.startsWith('x')   f.endsWith('x')   f.split('x')   (f a string)
 *   f == 'x'   f != 'x'                                                     (f a string)
 *   size(f) > 3   (also >=, <, <=, ==, !=)                                 (f a string or a list)
 *
 * where `f` is a field of the row (a name CEL binds as a variable: not a type name such as `type` or
 * `int`, which CEL reads as the type) and 'x' a string literal without escapes. A shortcut answers only
 * when the field holds the type the shape needs, and then gives exactly CEL's result; otherwise it
 * says FALL_BACK and the compiled CEL program runs (which also gives CEL's errors). A property test
 * checks the shortcuts against CEL on random values.
 */
import { propertyKey } from "./property-keys.js";

export const FALL_BACK = Symbol("fall back to CEL");

export type FastPath = (row: Readonly<Record<string, unknown>>) => unknown;

const FIELD = "([A-Za-z_][A-Za-z0-9_]*)";
/** A string literal in single or double quotes, with no backslash (so no escape to interpret). */
const LITERAL = `(?:'([^'\\\\\\n]*)'|"([^"\\\\\\n]*)")`;
const STRING_METHOD = new RegExp(`^${FIELD}\\.(contains|startsWith|endsWith|split)\\(\\s*${LITERAL}\\s*\\)$`);
const STRING_EQUALS = new RegExp(`^${FIELD}\\s*(==|!=)\\s*${LITERAL}$`);
const SIZE_COMPARE = /^size\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*(>=|<=|==|!=|>|<)\s*(0|[1-9][0-9]{0,8})$/;

/**
 * The shortcut for `source`, or undefined when it has none of the shapes above. `isField` says which
 * names the expression reads from the row (its free variables): any other name keeps CEL's meaning.
 */
export function fastPathOf(source: string, isField: (name: string) => boolean): FastPath | undefined {
  const text = source.trim();
  const method = STRING_METHOD.exec(text);
  if (method && isField(method[1]!)) return stringMethod(propertyKey(method[1]!), method[2]!, method[3] ?? method[4]!);
  const equals = STRING_EQUALS.exec(text);
  if (equals && isField(equals[1]!)) return stringEquals(propertyKey(equals[1]!), equals[2] === "==", equals[3] ?? equals[4]!);
  const size = SIZE_COMPARE.exec(text);
  if (size && isField(size[1]!)) return sizeCompare(propertyKey(size[1]!), size[2]!, Number(size[3]));
  return undefined;
}

function stringMethod(field: string, method: string, literal: string): FastPath | undefined {
  switch (method) {
    case "contains":
      return (row) => (typeof row[field] === "string" ? (row[field] as string).includes(literal) : FALL_BACK);
    case "startsWith":
      return (row) => (typeof row[field] === "string" ? (row[field] as string).startsWith(literal) : FALL_BACK);
    case "endsWith":
      return (row) => (typeof row[field] === "string" ? (row[field] as string).endsWith(literal) : FALL_BACK);
    case "split":
      // An empty separator splits into code points in CEL but UTF-16 units in JS: left to CEL.
      if (literal === "") return undefined;
      return (row) => (typeof row[field] === "string" ? (row[field] as string).split(literal) : FALL_BACK);
  }
  return undefined;
}

function stringEquals(field: string, equal: boolean, literal: string): FastPath {
  return (row) => (typeof row[field] === "string" ? (row[field] === literal) === equal : FALL_BACK);
}

const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  "==": (a, b) => a === b,
  "!=": (a, b) => a !== b,
};

function sizeCompare(field: string, operator: string, bound: number): FastPath {
  const compare = COMPARE[operator]!;
  return (row) => {
    const value = row[field];
    if (typeof value === "string") return compare(codePoints(value), bound);
    if (Array.isArray(value)) return compare(value.length, bound);
    return FALL_BACK;
  };
}

/** CEL's size of a string: its code points, not its UTF-16 units. */
function codePoints(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}
