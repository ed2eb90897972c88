/**
 * Limits on the size and shape of a user's CEL expression, checked when a job is registered. They bound
 * what one job can cost the server before it runs (the parser's time and stack, the checker's and
 * planner's recursion) and what one row can cost while it runs (a large list literal iterated inside
 * another comprehension multiplies the work per row).
 *
 * The text is checked before it is parsed (its length, how deep its brackets nest), because the
 * parser's own time and recursion grow with them; the tree after (its depth, its size,
 * list and map literals, comprehensions inside comprehensions), walked without recursion.
 */
import type { parse } from "@bufbuild/cel";

type Expr = ReturnType<typeof parse>["expr"];

export const EXPRESSION_LIMITS = {
  /** Characters in one expression. */
  maxLength: 2000,
  /** Brackets, parentheses and braces inside each other. */
  maxNesting: 32,
  /** Depth of the expression's tree (a chain of 100 `+` is 100 deep). */
  maxDepth: 128,
  /** Nodes in the expression's tree. */
  maxNodes: 1000,
  /** Elements of one list literal, or entries of one map literal. */
  maxLiteralElements: 256,
  /** Comprehensions (all, exists, exists_one, map, filter) inside each other. */
  maxComprehensionNesting: 2,
} as const;

/** A broken limit, in words that say what to change. */
export type LimitProblem = string;

/** Checks the raw text: its length, and how deep it nests outside string literals. */
export function textLimitProblem(source: string): LimitProblem | undefined {
  const { maxLength, maxNesting } = EXPRESSION_LIMITS;
  if (source.length > maxLength) return `is ${source.length} characters long; an expression may have at most ${maxLength} (split the work over several steps)`;
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (quote !== undefined) {
      if (c === "\\") i++;
      else if (source.startsWith(quote, i)) {
        i += quote.length - 1;
        quote = undefined;
      }
      continue;
    }
    if (c === "'" || c === '"') {
      quote = source.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
      i += quote.length - 1;
    } else if (c === "(" || c === "[" || c === "{") {
      if (++depth > maxNesting) return `nests brackets more than ${maxNesting} deep; at most ${maxNesting} are allowed (split the work over several steps)`;
    } else if (c === ")" || c === "]" || c === "}") {
      depth = Math.max(0, depth - 1);
    }
  }
  return undefined;
}

export interface TreeShape {
  /** What is over a limit, if anything. */
  readonly problem?: LimitProblem;
  /** How deep comprehensions nest (0: none): each level multiplies the work per row by its range's size. */
  readonly loopDepth: number;
  /** The most elements of any list or map literal. */
  readonly largestLiteral: number;
  /** Whether it turns text into a list (`split`), so a string's length may be a comprehension's range. */
  readonly splitsText: boolean;
}

/** Checks the parsed tree: its depth and size, its literals, and comprehensions inside comprehensions. */
export function treeShape(root: Expr): TreeShape {
  let loopDepth = 0;
  let largestLiteral = 0;
  let splitsText = false;
  const problem = walk(root, (loops, literal, call) => {
    loopDepth = Math.max(loopDepth, loops);
    largestLiteral = Math.max(largestLiteral, literal);
    if (call === "split") splitsText = true;
  });
  return { ...(problem ? { problem } : {}), loopDepth, largestLiteral, splitsText };
}

function walk(root: Expr, seen: (loops: number, literal: number, call?: string) => void): LimitProblem | undefined {
  const { maxDepth, maxNodes, maxLiteralElements, maxComprehensionNesting } = EXPRESSION_LIMITS;
  const stack: { e: Expr; depth: number; loops: number }[] = [{ e: root, depth: 1, loops: 0 }];
  let nodes = 0;
  while (stack.length > 0) {
    const { e, depth, loops } = stack.pop()!;
    if (++nodes > maxNodes) return `has more than ${maxNodes} terms; at most ${maxNodes} are allowed (split the work over several steps)`;
    if (depth > maxDepth) return `nests more than ${maxDepth} operations deep; at most ${maxDepth} are allowed (split the work over several steps)`;
    const push = (child: Expr | undefined, inLoop = loops) => child && stack.push({ e: child, depth: depth + 1, loops: inLoop });
    const k = e.exprKind;
    switch (k.case) {
      case "selectExpr":
        push(k.value.operand);
        break;
      case "callExpr":
        seen(loops, 0, k.value.function);
        push(k.value.target);
        for (const arg of k.value.args) push(arg);
        break;
      case "listExpr":
        seen(loops, k.value.elements.length);
        if (k.value.elements.length > maxLiteralElements) return `has a list of ${k.value.elements.length} elements; a list literal may have at most ${maxLiteralElements}`;
        for (const el of k.value.elements) push(el);
        break;
      case "structExpr":
        seen(loops, k.value.entries.length);
        if (k.value.entries.length > maxLiteralElements) return `has a map of ${k.value.entries.length} entries; a map literal may have at most ${maxLiteralElements}`;
        for (const { keyKind, value } of k.value.entries) {
          if (keyKind.case === "mapKey") push(keyKind.value);
          push(value);
        }
        break;
      case "comprehensionExpr": {
        const c = k.value;
        if (loops + 1 > maxComprehensionNesting) {
          return `has comprehensions (all, exists, map, filter, ...) nested ${loops + 1} deep; at most ${maxComprehensionNesting} are allowed, since each level multiplies the work per row`;
        }
        seen(loops + 1, 0);
        push(c.iterRange);
        push(c.accuInit);
        for (const sub of [c.loopCondition, c.loopStep, c.result]) push(sub, loops + 1);
        break;
      }
      default:
        break;
    }
  }
  return undefined;
}
