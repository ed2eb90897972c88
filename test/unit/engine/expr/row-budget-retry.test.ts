/**
 * The per-row budget is wall time, which a machine short of CPU can stretch: a row that looked over
 * the budget once is evaluated again, and only a row over it on every attempt fails its job.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { compileExpression } from "../../../../src/engine/expr/cel-expression.js";
import { ROW_BUDGET_ATTEMPTS, ROW_BUDGET_MS, RowBudgetExceededError } from "../../../../src/engine/expr/row-budget.js";

/** Date.now as a thread kept from its core sees it: the listed evaluations seem to take 1.5 budgets. */
function stalledEvaluations(stalled: readonly number[]): void {
  let now = 1_700_000_000_000;
  let reads = 0;
  vi.spyOn(Date, "now").mockImplementation(() => {
    reads++;
    // Two reads per evaluation (before and after): the second read of a stalled one jumps ahead.
    if (reads % 2 === 0 && stalled.includes(reads / 2)) now += ROW_BUDGET_MS * 1.5;
    return now;
  });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the per-row budget on a busy machine", () => {
  const expression = () => compileExpression("size(xs.map(a, a + 1)) > 0", ["xs"]);

  it("evaluates a row again when it seemed over the budget once, and keeps the answer", () => {
    const evaluate = expression();
    stalledEvaluations([1]);
    expect(evaluate({ xs: [1, 2, 3] })).toBe(true);
  });

  it("still fails a row over the budget on every attempt", () => {
    const evaluate = expression();
    stalledEvaluations(Array.from({ length: ROW_BUDGET_ATTEMPTS }, (_, i) => i + 1));
    expect(() => evaluate({ xs: [1, 2, 3] })).toThrow(RowBudgetExceededError);
  });

  it("passes a row over the budget on all attempts but the last", () => {
    const evaluate = expression();
    stalledEvaluations(Array.from({ length: ROW_BUDGET_ATTEMPTS - 1 }, (_, i) => i + 1));
    expect(evaluate({ xs: [] })).toBe(false);
  });
});
