/**
 * What nested comprehensions would cost on one row, checked before evaluating it. Comprehensions
 * nested d deep over ranges of n elements take n^d iterations, and a range may come from the row (a
 * list, a map, or, when the expression splits text, a string's parts), so the cost is bounded by the
 * row's largest such value: a row that would make more than MAX_LOOP_ITERATIONS is refused as a row
 * error before any work is done, instead of holding its worker for minutes.
 */
import type { TreeShape } from "./expression-limits.js";

export const MAX_LOOP_ITERATIONS = 1_000_000;

export function loopCostProblem(shape: TreeShape, bindings: Readonly<Record<string, unknown>>): string | undefined {
  const largest = Math.max(shape.largestLiteral, largestValue(bindings, shape.splitsText));
  const iterations = largest ** shape.loopDepth;
  if (iterations <= MAX_LOOP_ITERATIONS) return undefined;
  return `the row holds a value of ${largest} ${shape.splitsText ? "elements or characters" : "elements"}, and comprehensions nested ${shape.loopDepth} deep over it could take ${largest}^${shape.loopDepth} iterations, over the ${MAX_LOOP_ITERATIONS.toLocaleString("en-US")} a row may take; nest fewer comprehensions, or split large values into several events`;
}

/** The size of the largest list or map (and string, when counted) anywhere in the values, walked without recursion. */
function largestValue(root: unknown, countStrings: boolean): number {
  let largest = 0;
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === "string") {
      if (countStrings) largest = Math.max(largest, value.length);
    }
    else if (Array.isArray(value)) {
      largest = Math.max(largest, value.length);
      for (const item of value) stack.push(item);
    } else if (typeof value === "object" && value !== null) {
      const entries = Object.values(value);
      largest = Math.max(largest, entries.length);
      for (const item of entries) stack.push(item);
    }
  }
  return largest;
}
