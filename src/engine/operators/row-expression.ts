/**
 * A CEL expression evaluated against a row: the row's fields are its variables, and `row` is the
 * whole row (for fields whose names are not valid identifiers, or that may be missing: `has(row.x)`).
 */
import { compileExpression, freeVariables } from "../expr/cel-expression.js";
import { FALL_BACK, fastPathOf } from "../expr/fast-paths.js";
import { propertyKey } from "../expr/property-keys.js";
import type { Row } from "./operator.js";

export type RowExpression = (row: Row) => unknown;

const FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NOT_FIELDS = new Set(["true", "false", "null", "row", "in", "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop", "package", "namespace", "return", "var", "void", "while"]);

/**
 * Compiles `source` once. Throws ExpressionError for a syntax or type error. A bare field name (the
 * most common key and value expression: "word", "amount") reads the field directly, with the same
 * result CEL gives (a missing field is null), without evaluating CEL per row; so do the common shapes
 * of fast-paths.ts, when the field holds what they need.
 */
export function compileRowExpression(source: string): RowExpression {
  const trimmed = source.trim();
  // Only names CEL reads as variables are fields: `type` or `int` alone are CEL's type names.
  const names = FIELD.test(trimmed) && !NOT_FIELDS.has(trimmed) ? freeVariables(source).filter((name) => name !== "row") : undefined;
  if (names?.length === 1 && names[0] === trimmed) {
    const field = propertyKey(trimmed);
    return (row) => row[field] ?? null;
  }
  return compileCel(source);
}

function compileCel(source: string): RowExpression {
  const names = freeVariables(source).filter((name) => name !== "row").map(propertyKey);
  const evaluate = compileExpression(source, ["row", ...names]);
  const viaCel: RowExpression =
    names.length === 0
      ? (row) => evaluate({ row })
      : (row) => {
          const bindings: Record<string, unknown> = { row };
          for (const name of names) bindings[name] = row[name] ?? null;
          return evaluate(bindings);
        };
  const fast = fastPathOf(source, (name) => names.includes(name));
  if (!fast) return viaCel;
  return (row) => {
    const value = fast(row);
    return value === FALL_BACK ? viaCel(row) : value;
  };
}
