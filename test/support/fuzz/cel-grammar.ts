/**
 * CEL expressions for the fuzz suite, from a small grammar of the language's literals, variables,
 * operators, functions, macros and comprehensions, with random text spliced in or cut off, so that
 * most are nearly valid and reach the checker, the planner and a running batch.
 */
import fc from "fast-check";

const literal = fc.oneof(
  fc.integer().map(String),
  fc.constantFrom("0", "-1", "9223372036854775807", "-9223372036854775808", "9223372036854775808", "18446744073709551615u", "0u", "1.5", "1e308", "1e309", "-0.0", "0x7fffffffffffffff", "'a'", '""', "'''x'''", "r'\\d+'", "b'\\xff'", "true", "false", "null", "'\\u00e9'", "'💥'", "'\\ud800'", "[]", "{}", "[1, 'a', null]", "{'k': 1}", "{1: 2, 1: 3}"),
  fc.string({ maxLength: 8 }).map((s) => JSON.stringify(s)),
);

const variable = fc.constantFrom("text", "user", "n", "amount", "word", "row", "row.text", "row.user", "ts", "nope", "row.nope", "__proto__", "constructor", "row.__proto__", "row.constructor", "key", "count");

const unary = ["!", "-", "--", "!!"];
const binary = ["+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "in"];
const calls = [
  (a: string) => `size(${a})`,
  (a: string) => `int(${a})`,
  (a: string) => `uint(${a})`,
  (a: string) => `double(${a})`,
  (a: string) => `string(${a})`,
  (a: string) => `bytes(${a})`,
  (a: string) => `bool(${a})`,
  (a: string) => `type(${a})`,
  (a: string) => `timestamp(${a})`,
  (a: string) => `duration(${a})`,
  (a: string) => `has(row.${"x"}) ? ${a} : null`,
  (a: string) => `${a}.contains('a')`,
  (a: string) => `${a}.startsWith(${a})`,
  (a: string) => `${a}.endsWith('')`,
  (a: string) => `${a}.split(' ')`,
  (a: string) => `${a}.lowerAscii()`,
  (a: string) => `matches(${a}, '(a+)+$')`,
  (a: string) => `${a}.matches('[')`,
  (a: string) => `${a}.size()`,
  (a: string) => `${a}[0]`,
  (a: string) => `${a}['k']`,
  (a: string) => `${a}.all(x, x > 0)`,
  (a: string) => `${a}.exists(x, x == 1)`,
  (a: string) => `${a}.map(x, x * 2)`,
  (a: string) => `${a}.filter(x, x != null)`,
  (a: string) => `[${a}, ${a}].exists_one(y, y == ${a})`,
  (a: string) => `dyn(${a})`,
  (a: string) => `${a}.getSeconds()`,
];

/** An expression tree up to a few levels deep, printed as CEL text. */
const expression: fc.Arbitrary<string> = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    literal,
    variable,
    fc.tuple(fc.constantFrom(...unary), tie("expr")).map(([op, a]) => `${op}${a}`),
    fc.tuple(tie("expr"), fc.constantFrom(...binary), tie("expr")).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(tie("expr"), tie("expr"), tie("expr")).map(([c, a, b]) => `${c} ? ${a} : ${b}`),
    tie("expr").map((a) => `(${a})`),
    fc.tuple(fc.constantFrom(...calls), tie("expr")).map(([call, a]) => call(a)),
    fc.array(tie("expr"), { maxLength: 4 }).map((items) => `[${items.join(", ")}]`),
    fc.array(fc.tuple(tie("expr"), tie("expr")), { maxLength: 3 }).map((entries) => `{${entries.map(([k, v]) => `${k}: ${v}`).join(", ")}}`),
  ),
})).expr;

/** A grammar expression, sometimes with random text spliced in, cut short, or replaced outright. */
export const celExpression: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: expression },
  {
    weight: 2,
    arbitrary: fc.tuple(expression, fc.nat(), fc.string({ unit: "binary", maxLength: 6 })).map(([e, at, noise]) => e.slice(0, at % (e.length + 1)) + noise + e.slice(at % (e.length + 1))),
  },
  { weight: 1, arbitrary: fc.tuple(expression, fc.nat()).map(([e, cut]) => e.slice(0, cut % (e.length + 1))) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.integer({ min: 30, max: 3000 }).chain((n) => fc.constantFrom("(".repeat(n) + "1" + ")".repeat(n), Array(n).fill("1").join(" + "), Array(n).fill("true").join(" && "), `[${Array(n).fill("1").join(",")}]`, "'" + "x".repeat(n) + "'", "-".repeat(n) + "1", "!".repeat(n) + "true")) },
);
