/**
 * CEL expressions over JSON events, on top of @bufbuild/cel.
 *
 * @bufbuild/cel 0.6 parses, plans and evaluates, but its type checker is an unexported stub and its
 * planner ignores declared variables. So we check here: every identifier must be declared, and every
 * call must match an overload given what is statically known (literals, function results; variables
 * are dyn). A type error that depends on a variable's runtime value surfaces as EvaluationError.
 *
 * Numbers: every JSON number is a CEL `double` (the library maps JS numbers to double, so binding is
 * free). Literals like `1` are CEL ints, so we add int/double mixes of `+ - * / %` and a double `%`:
 * `n + 1`, `n % 2` and `size(s) * 1.5` work; comparisons and `==` across int and double are standard
 * CEL. Functions that take an int (`substring`, `charAt`, `%d`) need `int(n)` for a JSON number.
 * Results are plain JSON values: ints become numbers (beyond 2^53 precision is lost), lists arrays,
 * maps objects; `1.0 / 0.0` is Infinity, as in CEL.
 */
import {
  CelScalar, celEnv, celFunc, celMethod, isCelError, isCelList, isCelMap, isCelType, isCelUint, parse, plan,
  listType, type CelFunc, type CelResult,
} from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import { ROW_BUDGET_ATTEMPTS, ROW_BUDGET_MS, RowBudgetExceededError } from "./row-budget.js";
import { textLimitProblem, treeShape } from "./expression-limits.js";
import { loopCostProblem } from "./loop-cost.js";

/**
 * A CEL expression compiled once; call it per event. Bindings are JSON values (as from JSON.parse).
 * Returns plain JSON values (number, string, boolean, null, array, plain object).
 */
export type CompiledExpression = (bindings: Readonly<Record<string, unknown>>) => unknown;

/**
 * Thrown when an expression does not parse or does not type-check. `message` says what is wrong and
 * where (column), in words a user can act on.
 */
export class ExpressionError extends Error {
  override readonly name = "ExpressionError";
  constructor(readonly expression: string, message: string) { super(message); }
}

/** Thrown when an expression fails while evaluating an event (e.g. no such field, division by zero). */
export class EvaluationError extends Error {
  override readonly name = "EvaluationError";
  constructor(readonly expression: string, message: string) { super(message); }
}

const { INT, DOUBLE, STRING } = CelScalar;
const mixed = (op: string, f: (a: number, b: number) => number): CelFunc[] => [
  celFunc(op, [INT, DOUBLE], DOUBLE, (a, b) => f(Number(a), b)),
  celFunc(op, [DOUBLE, INT], DOUBLE, (a, b) => f(a, Number(b))),
];
const mod = (a: number, b: number): number => {
  if (b === 0) throw new Error("modulus by zero"); // as CEL's int %, rather than a NaN result
  return a % b;
};
// One shared env: plan() caches its planner per env, and the checker reads overloads from it.
const env = celEnv({
  funcs: [
    ...strings,
    ...mixed("_+_", (a, b) => a + b), ...mixed("_-_", (a, b) => a - b),
    ...mixed("_*_", (a, b) => a * b), ...mixed("_/_", (a, b) => a / b),
    ...mixed("_%_", mod), celFunc("_%_", [DOUBLE, DOUBLE], DOUBLE, mod),
    // Replaces the library's split(sep, n), which drops the rest as JS does; CEL keeps it in the last part.
    celMethod("split", STRING, [STRING, INT], listType(STRING), function (sep, n) {
      const parts = this.split(sep);
      const k = Number(n);
      if (k < 0 || parts.length <= k) return parts;
      return k === 0 ? [] : [...parts.slice(0, k - 1), parts.slice(k - 1).join(sep)];
    }),
  ],
});

type Expr = ReturnType<typeof parse>["expr"];
type Call = Extract<Expr["exprKind"], { case: "callExpr" }>["value"];
// Identifiers the runtime resolves to types when no variable of that name is bound.
const TYPES = new Set(["int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type"]);
const CONSTS: Record<string, string> = {
  boolValue: "bool", bytesValue: "bytes", doubleValue: "double", int64Value: "int",
  nullValue: "null_type", stringValue: "string", uint64Value: "uint",
};
const COLLECTIONS = ["dyn", "list", "map"];
const opName = (f: string) => (/^[_!@-]/.test(f) ? f.replace(/[_@]/g, "") : f); // "_+_" -> "+"

function at(source: string, offset: number): string {
  while (/\s/.test(source.charAt(offset))) offset++; // operator positions can be the space before
  const line = source.slice(0, offset).split("\n").length;
  const column = offset - source.lastIndexOf("\n", offset - 1);
  return line === 1 ? `at column ${column}` : `at line ${line}, column ${column}`;
}

/** Infers static types (CEL type names; "dyn" when unknown), throwing ExpressionError on a misuse. */
class Checker {
  readonly used = new Set<string>();
  private readonly bound: string[] = []; // comprehension variables in scope
  constructor(
    private readonly source: string,
    private readonly positions: { readonly [id: string]: number },
    // Each variable's CEL type name ("dyn" when unknown); undefined: any name is a dyn variable.
    private readonly declared: ReadonlyMap<string, string> | undefined,
  ) {}

  private fail(e: Expr, message: string): never {
    const where = at(this.source, this.positions[String(e.id)] ?? 0);
    throw new ExpressionError(this.source, `${message} ${where}`);
  }

  type(e: Expr): string {
    const k = e.exprKind;
    switch (k.case) {
      case "constExpr": return CONSTS[k.value.constantKind.case ?? ""] ?? "dyn";
      case "identExpr": {
        const name = k.value.name;
        if (this.bound.includes(name)) return "dyn";
        if (this.declared ? this.declared.has(name) : !TYPES.has(name)) return this.used.add(name), (this.declared?.get(name) ?? "dyn");
        if (TYPES.has(name)) return "type";
        const known = [...(this.declared?.keys() ?? [])];
        const list = known.slice(0, 10).join(", ") + (known.length > 10 ? ", ..." : "");
        return this.fail(e, `unknown variable '${name}' (known variables: ${list})`);
      }
      case "selectExpr": {
        const t = k.value.operand ? this.type(k.value.operand) : "dyn";
        if (!COLLECTIONS.includes(t) && !t.includes(".")) {
          this.fail(e, `cannot read field '${k.value.field}' of a value of type ${t}`);
        }
        return k.value.testOnly ? "bool" : "dyn";
      }
      case "listExpr":
        for (const el of k.value.elements) this.type(el);
        return "list";
      case "structExpr":
        for (const { keyKind, value } of k.value.entries) {
          if (keyKind.case === "mapKey") this.type(keyKind.value);
          if (value) this.type(value);
        }
        return k.value.messageName || "map";
      case "comprehensionExpr": {
        const c = k.value;
        const range = c.iterRange ? this.type(c.iterRange) : "dyn";
        if (!COLLECTIONS.includes(range)) this.fail(e, `cannot iterate over a value of type ${range}`);
        if (c.accuInit) this.type(c.accuInit);
        const vars = [c.iterVar, c.iterVar2, c.accuVar].filter((v) => v !== "");
        this.bound.push(...vars);
        for (const sub of [c.loopCondition, c.loopStep]) if (sub) this.type(sub);
        const result = c.result ? this.type(c.result) : "dyn";
        this.bound.length -= vars.length;
        return result;
      }
      case "callExpr": return this.call(e, k.value);
      default: return "dyn";
    }
  }

  private call(e: Expr, c: Call): string {
    // `strings.quote(x)` is a namespaced function, not a method on a variable `strings`.
    const ns = c.target?.exprKind.case === "identExpr" ? c.target.exprKind.value.name : undefined;
    const qualified = ns === undefined ? "" : `${ns}.${c.function}`;
    const name = env.funcs.find(qualified) ? qualified : c.function;
    const target = c.target && name === c.function ? this.type(c.target) : undefined;
    const args = c.args.map((a) => this.type(a));
    if (name === "_?_:_" || name === "_&&_" || name === "_||_") {
      const conds = name === "_?_:_" ? args.slice(0, 1) : args;
      if (conds.some((t) => t !== "bool" && t !== "dyn")) {
        this.fail(e, `'${opName(name)}' needs a bool, got ${conds.join(", ")}`);
      }
      return name !== "_?_:_" ? "bool" : args[1] === args[2] ? (args[1] ?? "dyn") : "dyn";
    }
    if (name === "@not_strictly_false") return "bool";
    if (name === "_[_]") {
      if (!COLLECTIONS.includes(args[0] ?? "dyn")) this.fail(e, `cannot index a value of type ${args[0]}`);
      return "dyn";
    }
    const group = env.funcs.find(name);
    if (!group) return this.fail(e, `unknown function '${name}'`);
    const fits = (t: string, p?: { name: string }) => t === "dyn" || p?.name === "dyn" || p?.name === t;
    let result: string | undefined;
    for (const f of group) {
      if ((f.target === undefined) !== (target === undefined) || f.arguments.length !== args.length) continue;
      if (target !== undefined && !fits(target, f.target)) continue;
      if (!args.every((t, i) => fits(t, f.arguments[i]))) continue;
      result = result === undefined || result === f.result.name ? f.result.name : "dyn";
    }
    if (result !== undefined) return result;
    const on = target === undefined || target === "dyn" ? "" : ` on a value of type ${target}`;
    return this.fail(e, `'${opName(name)}' cannot be applied${on} to arguments of type (${args.join(", ")})`);
  }
}

/**
 * Parsed expressions by their text (the parse is the costly part of compiling: several microseconds a
 * character), so that an expression parsed once, e.g. by prepareExpressions, is not parsed again.
 */
const parsedTexts = new Map<string, ReturnType<typeof parse> | { readonly error: unknown }>();
const PARSED_CACHE_SIZE = 2000;

function parseOnce(source: string): ReturnType<typeof parse> {
  let entry = parsedTexts.get(source);
  if (!entry) {
    try {
      entry = parse(source);
    } catch (error) {
      entry = { error };
    }
    if (parsedTexts.size >= PARSED_CACHE_SIZE) parsedTexts.delete(parsedTexts.keys().next().value!);
    parsedTexts.set(source, entry);
  }
  if ("error" in entry) throw entry.error;
  return entry;
}

/**
 * Parses every text in `values` that may be an expression, one at a time, giving the event loop a
 * turn between them, so that registering a large definition never holds the loop for longer than one
 * expression's parse (the compile that follows finds them parsed). Errors are left for that compile.
 */
export async function prepareExpressions(values: unknown): Promise<void> {
  const stack: unknown[] = [values];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === "string") {
      if (value.length > 16 && textLimitProblem(value) === undefined && !parsedTexts.has(value)) {
        await new Promise((resolve) => setImmediate(resolve));
        try {
          parseOnce(value);
        } catch {
          // refused, with its place named, by the compile
        }
      }
    } else if (Array.isArray(value)) stack.push(...value);
    else if (typeof value === "object" && value !== null) stack.push(...Object.values(value));
  }
}

/** What to look at in an expression that does not parse, naming the likeliest slip first. */
function syntaxHint(source: string): string {
  // A lone "=" (not part of ==, !=, <=, >=) outside quotes: a comparison written as an assignment.
  const unquoted = source.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, "''");
  if (/(^|[^=!<>])=(?!=)/.test(unquoted)) return "to compare, write ==; a single = is not an operator in CEL";
  if (/&(?!&)|(^|[^|])\|(?!\|)/.test(unquoted.replace(/&&|\|\|/g, ""))) return "write && and || for and and or";
  return "check operators, parentheses, commas and quotes";
}

function check(source: string, declared: ReadonlyMap<string, string> | undefined) {
  if (source.trim() === "") throw new ExpressionError(source, "the expression is empty");
  const tooLarge = textLimitProblem(source);
  if (tooLarge) throw new ExpressionError(source, `the expression ${tooLarge}`);
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parseOnce(source);
  } catch (e) {
    // The parser points where the unparsable rest begins, not at the precise bad token.
    const start = (e as { location?: { start?: { offset?: number } } }).location?.start?.offset ?? 0;
    const near = JSON.stringify(source.slice(start, start + 20));
    throw new ExpressionError(source, `syntax error ${at(source, start)} near ${near}: the expression `
      + `is malformed from here on (${syntaxHint(source)})`);
  }
  const shape = treeShape(parsed.expr);
  if (shape.problem) throw new ExpressionError(source, `the expression ${shape.problem}`);
  const checker = new Checker(source, parsed.sourceInfo?.positions ?? {}, declared);
  const type = checker.type(parsed.expr);
  return { ast: parsed.expr, used: [...checker.used], shape, type };
}

/**
 * The top-level variable names `source` reads (not comprehension variables, nor type names such as
 * `int`), so a caller can bind only those. Throws ExpressionError for a syntax or type error.
 */
export function freeVariables(source: string): string[] {
  // Checked once per text: a restart compiles every job's expressions again (in each worker thread
  // too), and checking is most of what that costs.
  let used = usedVariables.get(source);
  if (!used) {
    used = check(source, undefined).used;
    if (usedVariables.size >= PARSED_CACHE_SIZE) usedVariables.delete(usedVariables.keys().next().value!);
    usedVariables.set(source, used);
  }
  return [...used];
}

/** The variables each checked text reads, by its text, oldest first (see freeVariables). */
const usedVariables = new Map<string, readonly string[]>();

/**
 * The CEL type `source` gives (a CEL type name such as "bool", "int", "double", "string", "list",
 * "map"; "dyn" when it cannot be known before it runs), given each variable's type. Reading a
 * variable not in `variables`, a syntax error, or a misuse of a typed variable (`n.contains("a")` with
 * `n` a double) throws ExpressionError.
 */
export function expressionType(source: string, variables: ReadonlyMap<string, string>): string {
  return check(source, variables).type;
}

/**
 * Parses, checks and plans `source` once. `variables` are the top-level names the expression may
 * use (each declared dyn); `event` is always declared, and the caller binds it to the whole event.
 * Using an undeclared variable, a syntax error, or a type error (e.g. `1 + "a"`, `size(1)`) throws
 * ExpressionError. The returned function throws EvaluationError when evaluation fails.
 */
export function compileExpression(source: string, variables: readonly string[]): CompiledExpression {
  // A job's plan builds its operators once per stage and partition: compile each expression once.
  const cacheKey = `${variables.join(",")}\u0000${source}`;
  const cached = compiled.get(cacheKey);
  if (cached) return cached;
  const expression = compileUncached(source, variables);
  if (compiled.size >= COMPILED_CACHE_SIZE) compiled.delete(compiled.keys().next().value!);
  compiled.set(cacheKey, expression);
  return expression;
}

/** Compiled expressions by variables and source (pure functions, so safe to share), oldest first. */
const compiled = new Map<string, CompiledExpression>();
const COMPILED_CACHE_SIZE = 2000;

function compileUncached(source: string, variables: readonly string[]): CompiledExpression {
  const { ast, used, shape } = check(source, new Map(["event", ...variables].map((name) => [name, "dyn"])));
  const evaluate = plan(env, ast) as (bindings: Readonly<Record<string, unknown>>) => CelResult;
  const fail = (bindings: Readonly<Record<string, unknown>>, message: string): never => {
    // Error path only. The library says "unresolved attribute" for an unbound variable: name it.
    const missing = used.filter((v) => bindings[v] === undefined);
    const nulls = used.filter((v) => v !== "row" && bindings[v] === null);
    if (message === "unresolved attribute" && missing.length > 0) {
      message = `no value for '${missing.join("', '")}'`;
    } else if (/no matching overload.*null_type/.test(message) && nulls.length > 0) {
      message = absentFields(bindings, nulls);
    } else if (/Unsupported input|reading 'name'/.test(message)) { // a Date, class or null-prototype object
      message = "a bound value is not plain JSON (objects, arrays, strings, numbers, booleans, null)";
    } else if (/no matching overload.*double|invalid integer/.test(message)) {
      message += " (JSON numbers are doubles: use int(x) where an int is needed)";
    }
    throw new EvaluationError(source, `evaluating ${JSON.stringify(source)}: ${message}`);
  };
  return (bindings) => {
    if (shape.loopDepth > 1) {
      const tooCostly = loopCostProblem(shape, bindings);
      if (tooCostly) throw new EvaluationError(source, `evaluating ${JSON.stringify(source)}: ${tooCostly}`);
    }
    let started = Date.now();
    let result = evaluate(bindings);
    let took = Date.now() - started;
    // The budget is wall time, which a machine short of CPU stretches: a row over it is evaluated
    // again (expressions have no side effects), and only one over it every time is the expression's cost.
    for (let attempt = 1; took > ROW_BUDGET_MS; attempt++) {
      if (attempt >= ROW_BUDGET_ATTEMPTS) throw new RowBudgetExceededError(source, took);
      started = Date.now();
      result = evaluate(bindings);
      took = Date.now() - started;
    }
    if (isCelError(result)) return fail(bindings, result.message);
    return typeof result === "object" || typeof result === "bigint" ? toJson(result, source) : result;
  };
}

/**
 * Names the fields an expression found no value in, instead of CEL's "no matching overload ...
 * null_type": absent from the row (a row expression binds its whole row as `row`), or null.
 */
function absentFields(bindings: Readonly<Record<string, unknown>>, nulls: readonly string[]): string {
  const row = bindings.row;
  const absent = typeof row === "object" && row !== null ? nulls.filter((name) => !Object.hasOwn(row, name)) : [];
  const quoted = (names: readonly string[]) => names.map((name) => `'${name}'`).join(", ");
  const what = absent.length > 0 ? `the row has no field ${quoted(absent)}` : `field ${quoted(nulls)} is null`;
  const guard = absent.length > 0 ? `has(row.${absent[0]})` : `${nulls[0]} != null`;
  return `${what}; skip such rows with a filter such as "${guard}", or declare the stream with a schema that requires it, so that events without it are refused at ingest`;
}

/** Converts CEL ints, uints, lists and maps (recursively) and types to plain JSON-compatible values. */
function toJson(v: unknown, source: string): unknown {
  if (typeof v !== "object" || v === null) return typeof v === "bigint" ? Number(v) : v;
  if (isCelList(v)) return Array.from(v, (x) => toJson(x, source));
  // fromEntries, not assignment, so that a "__proto__" key stays an ordinary key.
  if (isCelMap(v)) {
    return Object.fromEntries(Array.from(v, ([k, x]) => [String(isCelUint(k) ? k.value : k), toJson(x, source)]));
  }
  if (isCelUint(v)) return Number(v.value);
  if (isCelType(v)) return v.name;
  const typeName = (v as { desc?: { typeName?: string } }).desc?.typeName; // timestamp, duration
  const type = v instanceof Uint8Array ? "bytes" : (typeName ?? "object");
  const what = `the result is a ${type}, which is not JSON (convert it with string(...))`;
  throw new EvaluationError(source, `evaluating ${JSON.stringify(source)}: ${what}`);
}
