/**
 * Nested comprehensions are bounded before evaluating, by the row's largest value that can be their
 * range: lists and maps always, a string only when the expression splits text.
 */
import { describe, expect, it } from "vitest";
import { compileRowExpression } from "../../../../src/engine/operators/row-expression.js";

describe("the loop cost of nested comprehensions", () => {
  it("refuses a row whose list would make more than a million iterations, before any work", () => {
    const pairs = compileRowExpression("xs.exists(a, xs.exists(b, a + b < 0))");
    expect(pairs({ xs: Array.from({ length: 30 }, (_, i) => i) })).toBe(false);
    expect(() => pairs({ xs: Array.from({ length: 1001 }, (_, i) => i) })).toThrow(/1001\^2 iterations, over the 1,000,000 a row may take/);
  });

  it("counts a long string only when the expression splits text", () => {
    const literal = compileRowExpression("[1, 2, 3].exists(a, [4, 5].exists(b, a * b == 10))");
    expect(literal({ text: "x".repeat(5000) })).toBe(true);
    const splits = compileRowExpression("text.split('').exists(a, text.split('').exists(b, a != b))");
    expect(splits({ text: "ab" })).toBe(true);
    expect(() => splits({ text: "x".repeat(2000) })).toThrow(/2000 elements or characters.*2000\^2 iterations/);
  });

  it("leaves single comprehensions alone, however large the row", () => {
    const one = compileRowExpression("xs.exists(a, a == 4999)");
    expect(one({ xs: Array.from({ length: 5000 }, (_, i) => i) })).toBe(true);
  });
});
