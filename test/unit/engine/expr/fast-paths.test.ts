/**
 * The expression shortcuts give exactly what the CEL interpreter gives (the same value, or a row error
 * in both), on random field values: strings with astral characters and lone surrogates, numbers,
 * lists, null, missing fields; and for fields named like CEL's types, which CEL reads as the type.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileExpression, freeVariables } from "../../../../src/engine/expr/cel-expression.js";
import { FALL_BACK, fastPathOf } from "../../../../src/engine/expr/fast-paths.js";
import { compileRowExpression } from "../../../../src/engine/operators/row-expression.js";

const SHAPES = [
  "text.contains('ab')", "text.startsWith('a')", "text.endsWith(\"b\")", "text.split(' ')", "text.split('ab')",
  "text == 'ab'", "text != \"a b\"", "size(text) > 0", "size(text) >= 2", "size(text) < 3", "size(text) <= 1", "size(text) == 2", "size(text) != 0",
];

const valueArb = fc.oneof(
  // The shapes' own literals, so that equality and prefixes are hit, not only missed.
  fc.constantFrom("ab", "a b", "a", "b", ""),
  fc.string({ unit: fc.constantFrom("a", "b", " ", "é", "😀", "\ud83d", "\ude00") }),
  fc.string(),
  fc.double({ noNaN: true }),
  fc.integer(),
  fc.array(fc.string(), { maxLength: 4 }),
  fc.constant(null),
  fc.boolean(),
);
/** `type` and `int` are CEL type names, not fields: CEL reads them as types, and so must a shortcut. */
const FIELDS = ["text", "type", "int"] as const;
const rowArb = fc.oneof(fc.record({ text: valueArb, type: valueArb, int: valueArb }, { requiredKeys: [] }), fc.constant({}));

type Outcome = { value: unknown } | { error: true };
const outcome = (run: () => unknown): Outcome => {
  try {
    return { value: run() };
  } catch {
    return { error: true };
  }
};
const anyField = () => true;

describe("expression shortcuts", () => {
  it("recognise the shapes they cover, and nothing else", () => {
    for (const shape of SHAPES) expect(fastPathOf(shape, anyField), shape).toBeDefined();
    for (const other of ["text.contains(x)", "text.contains('a\\n')", "text.split('')", "size(text) > -1", "size(text) > 1.5", "a.b.contains('x')", "text.contains('a') || true"]) {
      expect(fastPathOf(other, anyField), other).toBeUndefined();
    }
    // Only names the expression reads from the row: not `row`, not a CEL type name.
    expect(fastPathOf("row.contains('a')", (name) => name !== "row")).toBeUndefined();
    expect(fastPathOf("type == 'a'", () => false)).toBeUndefined();
  });

  const cases = FIELDS.flatMap((field) => SHAPES.map((shape) => shape.replaceAll("text", field)));
  it.each(cases)("%s gives CEL's answer on every row", (shape) => {
    let names: string[];
    try {
      names = freeVariables(shape).filter((n) => n !== "row");
    } catch {
      // CEL refuses it (e.g. `type.contains('a')`: a type has no contains): so must registration.
      expect(() => compileRowExpression(shape)).toThrow();
      return;
    }
    const cel = compileExpression(shape, ["row", ...names]);
    const row = compileRowExpression(shape);
    fc.assert(
      fc.property(rowArb, (r) => {
        const bindings: Record<string, unknown> = { row: r };
        for (const name of names) bindings[name] = (r as Record<string, unknown>)[name] ?? null;
        expect(outcome(() => row(r))).toEqual(outcome(() => cel(bindings)));
      }),
      { numRuns: 200 },
    );
  });

  it("read a name CEL takes for a type as the type, as CEL does (row.type reads the field)", () => {
    expect(compileRowExpression("type")({ type: "click" })).not.toBe("click");
    expect(compileRowExpression("row.type")({ type: "click" })).toBe("click");
    expect(compileRowExpression("kind")({ kind: "click" })).toBe("click");
  });

  it("fall back to CEL for values of another type", () => {
    expect(fastPathOf("text.contains('a')", anyField)!({ text: 3 })).toBe(FALL_BACK);
    expect(fastPathOf("size(text) > 1", anyField)!({})).toBe(FALL_BACK);
  });
});
