import { describe, it, expect } from "vitest";
import {
  compileExpression,
  EvaluationError,
  ExpressionError,
  freeVariables,
} from "../../../../src/engine/expr/cel-expression.js";

const event = {
  text: "Hello big World",
  n: 3,
  price: 2.5,
  count: 7,
  word: "abc",
  tags: ["a", "b"],
  user: { name: "Ann", address: { city: "Oslo" }, scores: [10, 20, { best: 30 }] },
};
const variables = Object.keys(event);
const run = (source: string, bindings: Record<string, unknown> = { ...event, event }) =>
  compileExpression(source, variables)(bindings);

describe("compileExpression: values", () => {
  const cases: [name: string, source: string, expected: unknown][] = [
    // Arithmetic: JSON numbers are doubles, and mix freely with int literals.
    ["int literal plus JSON number", "n + 1", 4],
    ["JSON number times double", "n * 2.5", 7.5],
    ["division of a JSON number is not truncated", "n / 2", 1.5],
    ["int literal division truncates (CEL ints)", "7 / 2", 3],
    ["modulo on a JSON number", "count % 2", 1],
    ["int literal mixed with double literal", "1 + 1.5", 2.5],
    ["size() (an int) plus a JSON number", "size(word) + n", 6],
    ["comparison with a double", "n > 2.5", true],
    ["comparison with an int", "count > 3", true],
    ["equality across int and double", "n == 3", true],
    ["negation", "-price", -2.5],
    ["int(x) converts a JSON number", "int(price)", 2],
    ["string(x) of a JSON number", "string(n)", "3"],
    // Strings.
    ["split", "text.split(' ')", ["Hello", "big", "World"]],
    ["split with a limit keeps the rest (CEL, not JS)", "text.split(' ', 2)", ["Hello", "big World"]],
    ["split with limit 1", "text.split(' ', 1)", ["Hello big World"]],
    ["split with limit 0", "text.split(' ', 0)", []],
    ["split with a negative limit", "text.split(' ', -1)", ["Hello", "big", "World"]],
    ["split into characters", "word.split('')", ["a", "b", "c"]],
    ["contains", "text.contains('big')", true],
    ["startsWith", "text.startsWith('Hell')", true],
    ["endsWith", "text.endsWith('x')", false],
    ["matches (RE2)", "text.matches('^H.*d$')", true],
    ["size of a string", "size(word) > 0", true],
    ["size as a method", "text.size()", 15],
    ["lowerAscii", "text.lowerAscii()", "hello big world"],
    ["upperAscii", "word.upperAscii()", "ABC"],
    ["replace", "text.replace('big', 'small')", "Hello small World"],
    ["substring with int(x)", "text.substring(0, int(n))", "Hel"],
    ["indexOf", "text.indexOf('big')", 6],
    ["trim", "'  x '.trim()", "x"],
    ["join", "tags.join('-')", "a-b"],
    ["concatenation", "word + '!'", "abc!"],
    // Lists and maps come back as plain arrays and objects.
    ["map literal", "{'k': n, 'l': [1, 2u, 2.5, true, null, 'x']}", { k: 3, l: [1, 2, 2.5, true, null, "x"] }],
    ["int map keys become strings", "{1: 'a'}", { 1: "a" }],
    ["map macro", "tags.map(t, t + t)", ["aa", "bb"]],
    ["filter macro", "[1, 2, 3, 4].filter(x, x % 2 == 0)", [2, 4]],
    ["exists macro", "tags.exists(t, t == 'b')", true],
    ["in a list", "'a' in tags", true],
    ["a bound object round-trips", "user.address", { city: "Oslo" }],
    // Field access.
    ["nested field", "user.address.city", "Oslo"],
    ["list index then field", "user.scores[2].best", 30],
    ["index by a JSON number", "user.scores[n - 2]", 20],
    ["has() on a present field", "has(user.name)", true],
    ["has() on an absent field", "has(user.age)", false],
    // The `event` variable.
    ["event field", "event.text.split(' ')", ["Hello", "big", "World"]],
    ["event index by key", "event['word']", "abc"],
    ["event arithmetic", "event.n + 1", 4],
    // Ternary and logic.
    ["ternary", "n > 2 ? 'big' : 'small'", "big"],
    ["ternary else", "n > 5 ? 'big' : 'small'", "small"],
    ["and / or", "n > 2 && (word == 'x' || count == 7)", true],
    ["null", "null", null],
    ["type() gives the type name", "type(n)", "double"],
  ];
  it.each(cases)("%s: %s", (_name, source, expected) => {
    expect(run(source)).toEqual(expected);
  });

  it("compiles once and evaluates many events", () => {
    const f = compileExpression("size(word) > 2", ["word"]);
    expect(["abc", "ab", "abcd"].map((word) => f({ word }))).toEqual([true, false, true]);
  });

  it("returns plain arrays and objects, not CEL wrappers", () => {
    const out = run("{'a': [1, {'b': 2}]}") as { a: unknown[] };
    expect(Array.isArray(out.a)).toBe(true);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(typeof out.a[0]).toBe("number");
  });

  it("keeps a '__proto__' key as an ordinary key", () => {
    const out = run("{'__proto__': 1}") as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(["__proto__"]);
  });
});

describe("compileExpression: errors", () => {
  const compileErrors: [name: string, source: string, message: RegExp][] = [
    ["syntax error", "1 +", /syntax error at column 3/],
    ["unbalanced parenthesis", "size(text", /syntax error at column \d+/],
    ["empty expression", "  ", /empty/],
    ["undeclared variable", "nope + 1", /unknown variable 'nope'.*at column 1/],
    ["int plus string", "1 + 'a'", /'\+' cannot be applied to arguments of type \(int, string\) at column 3/],
    ["size of an int", "size(1)", /'size' cannot be applied to arguments of type \(int\)/],
    ["unknown function", "text.shout()", /unknown function 'shout'/],
    ["method on a literal of the wrong type", "1.lowerAscii()", /'lowerAscii' cannot be applied on a value of type int/],
    ["field of a string literal", "'a'.b", /cannot read field 'b' of a value of type string/],
    ["non-bool condition", "1 ? 'a' : 'b'", /needs a bool/],
    ["type error under a macro", "tags.map(t, t.size() + 'x')", /'\+' cannot be applied/],
    ["reports line and column", "n +\n  'a' + 1", /at line 2, column \d+/],
  ];
  it.each(compileErrors)("%s: %s", (_name, source, message) => {
    let error: unknown;
    try {
      compileExpression(source, variables);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExpressionError);
    expect((error as ExpressionError).message).toMatch(message);
    expect((error as ExpressionError).expression).toBe(source);
  });

  const evalErrors: [name: string, source: string, bindings: Record<string, unknown>, message: RegExp][] = [
    ["missing field", "user.age + 1", { user: { name: "Ann" } }, /field not found: age/],
    ["missing event field", "event.nope", { event: {} }, /field not found: nope/],
    ["unbound variable", "text.size()", {}, /no value for 'text'/],
    ["int division by zero", "1 / 0", {}, /divide by zero/],
    ["modulo by zero", "n % 0", { n: 4 }, /modulus by zero/],
    ["wrong runtime type", "text.split(' ')", { text: 5 }, /no matching overload for 'split'/],
    ["int-only function given a JSON number", "word.substring(n)", { word: "abc", n: 1 }, /use int\(x\)/],
    ["index out of range", "tags[5]", { tags: ["a"] }, /out of bounds/],
    ["non-JSON result", "timestamp('2024-01-01T00:00:00Z')", {}, /not JSON.*string\(/],
    ["non-JSON input", "text.size()", { text: new Date() }, /not plain JSON/],
  ];
  it.each(evalErrors)("%s: %s", (_name, source, bindings, message) => {
    const f = compileExpression(source, variables);
    expect(() => f(bindings)).toThrow(EvaluationError);
    expect(() => f(bindings)).toThrow(message);
  });
});

describe("freeVariables", () => {
  it("lists top-level names, not macro variables or type names", () => {
    expect(freeVariables("a + b.c + xs.map(x, x + y).size() + int(z) + (type(q) == int ? 1 : 2)")).toEqual([
      "a", "b", "xs", "y", "z", "q",
    ]);
  });
  it("throws ExpressionError for a syntax error", () => {
    expect(() => freeVariables("a +")).toThrow(ExpressionError);
  });
});
