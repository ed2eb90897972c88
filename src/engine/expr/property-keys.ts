/**
 * Names that read and write the fields of every row, as the strings V8 finds properties by fastest.
 *
 * V8 keys an object's properties by internalized strings: one copy per content, compared by address.
 * Names written in code and the keys JSON.parse gives are such strings. A string that arrived by
 * structured clone (the job definition a worker thread is sent) or was cut out of another (a field
 * name matched in an expression) is a separate copy, and every row read or written with it looks the
 * name up again. Map tasks on a pool worker took about a third longer with such names.
 */

/** The property key for `name`: the same text, as the string V8 keys properties by. */
export function propertyKey(name: string): string {
  // An object's own keys are internalized strings; computed, so "__proto__" is a key like any other.
  return Object.keys({ [name]: true })[0] ?? name;
}

/** Deeper than this, arrays and objects are kept as they are (no field name is that deep in a job definition). */
const MAX_DEPTH = 64;

/**
 * A copy of `value` with every string in it, in arrays and plain objects down to MAX_DEPTH, made a
 * property key. Other objects are kept as they are.
 */
export function withPropertyKeys(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return propertyKey(value);
  if (depth >= MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item: unknown) => withPropertyKeys(item, depth + 1));
  if (value === null || typeof value !== "object" || Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withPropertyKeys(item, depth + 1)]));
}
