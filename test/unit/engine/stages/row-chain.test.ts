/**
 * The fused chain of narrow steps gives exactly what running the steps one after the other gives:
 * the same rows in the same order, and every failing row dropped by the step that fails on it, with
 * the same count of row errors.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { filterOperator } from "../../../../src/engine/operators/filter.js";
import { flatMapOperator } from "../../../../src/engine/operators/flat-map.js";
import { keyByOperator } from "../../../../src/engine/operators/key-by.js";
import { mapOperator } from "../../../../src/engine/operators/map.js";
import type { BatchContext, NarrowOperator, Row } from "../../../../src/engine/operators/operator.js";
import { sampleOperator } from "../../../../src/engine/operators/sample.js";
import { rowChain } from "../../../../src/engine/stages/row-chain.js";

/** Steps that fail on some rows: a list that is not a list, a condition that is not a boolean, a bad key. */
const steps = (): NarrowOperator[] => [
  flatMapOperator("parts", "p"),
  mapOperator({ n: "p.n", tag: "p.tag" }, false),
  filterOperator("n > 1"),
  keyByOperator("tag"),
  sampleOperator(0.7, 3),
];

const part = fc.record({ n: fc.oneof(fc.integer({ min: -3, max: 9 }), fc.constant("x")), tag: fc.oneof(fc.constantFrom("a", "b", "c"), fc.constant(null), fc.constant([1])) });
const row = fc.oneof(fc.record({ parts: fc.array(part, { maxLength: 5 }) }), fc.record({ parts: fc.constant("not a list") }), fc.constant({}));

function context(errors: string[]): BatchContext {
  return { batchTime: 3000, onRowError: (e) => errors.push(e.message) };
}

describe("rowChain", () => {
  it("gives the rows and row errors of the steps run one after the other", () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 40 }), (input) => {
        const sequentialErrors: string[] = [];
        let expected: Row[] = structuredClone(input) as Row[];
        for (const step of steps()) expected = step.process(expected, context(sequentialErrors))!;

        const fusedErrors: string[] = [];
        const out: Row[] = [];
        const chain = rowChain(steps(), context(fusedErrors), (r) => void out.push(r));
        for (const r of structuredClone(input) as Row[]) chain(r);

        expect(out).toEqual(expected);
        expect([...fusedErrors].sort()).toEqual([...sequentialErrors].sort());
      }),
      { numRuns: 300 },
    );
  });

  it("reports a row the sink refuses and goes on with the next", () => {
    const errors: string[] = [];
    const taken: unknown[] = [];
    const chain = rowChain([flatMapOperator("xs", "x")], context(errors), (r) => {
      if (r.x === 2) throw new TypeError("two is refused");
      taken.push(r.x);
    });
    chain({ xs: [1, 2, 3] });
    chain({ xs: [4] });
    expect(taken).toEqual([1, 3, 4]);
    expect(errors).toEqual(["two is refused"]);
  });
});
