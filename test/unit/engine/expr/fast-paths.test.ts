/**
 * The expression shortcuts give exactly what the CEL interpreter gives (the same value, or a row error
 * in both), on random field values: strings with astral characters and lone surrogates, numbers,
 * lists, null, missing fields.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileExpression } from "../../../../src/engine/expr/cel-expression.js";
import { FALL_BACK, fastPathOf } from "../../../../src/engine/expr/fast-paths.js";
import { compileRowExpression } from "../../../../src/engine/operators/row-expression.js";

const SHAPES = [
  "text.contains('ab')", "text.startsWith('a')", "text.endsWith(\"b\")", "text.split(' ')", "text.split('ab')",
  "text == 'ab'", "text != \"a b\"", "size(text) > 0", "size(text) >= 2", "size(text) < 3", "size(text) <= 1", "size(text) == 2", "size(text) != 0",
];

const valueArb = fc.oneof(
  fc.string({ unit: fc.constantFrom("a", "b", " ", "é", "😀", "\ud83d", "\ude00") }),
  fc.string(),
  fc.double({ noNaN: true }),
  fc.integer(),
  fc.array(fc.string(), { maxLength: 4 }),
  fc.constant(null),
  fc.boolean(),
);
const rowArb = fc.oneof(valueArb.map((text) => ({ text })), fc.constant({}));

type Outcome = { value: unknown } | { error: true };
const outcome = (run: () => unknown): Outcome => {
  try {
    return { value: run() };
  } catch {
    return { error: true };
  }
};

describe("expression shortcuts", () => {
  it("recognise the shapes they cover, and nothing else", () => {
    for (const shape of SHAPES) expect(fastPathOf(shape), shape).toBeDefined();
    for (const other of ["text.contains(x)", "row.contains('a')", "text.contains('a\\\\n')", "text.split('')", "size(text) > -1", "size(text) > 1.5", "a.b.contains('x')", "text.contains('a') || true"]) {
      expect(fastPathOf(other), other).toBeUndefined();
    }
  });

  it.each(SHAPES)("%s gives CEL's answer on every row", (shape) => {
    const cel = compileExpression(shape, ["row", "text"]);
    const row = compileRowExpression(shape);
    fc.assert(
      fc.property(rowArb, (r) => {
        const viaCel = outcome(() => cel({ row: r, text: (r as { text?: unknown }).text ?? null }));
        expect(outcome(() => row(r))).toEqual(viaCel);
      }),
      { numRuns: 300 },
    );
  });

  it("fall back to CEL for values of another type", () => {
    expect(fastPathOf("text.contains('a')")!({ text: 3 })).toBe(FALL_BACK);
    expect(fastPathOf("size(text) > 1")!({})).toBe(FALL_BACK);
  });
});
