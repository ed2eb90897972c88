/**
 * Field names from a job definition must come out as V8's internalized strings even when the
 * definition arrived by structured clone (as on a pool worker), and must not change on the way.
 * Whether a string is internalized is only visible to V8's natives syntax, so that part runs in a
 * child node process started with --allow-natives-syntax.
 */
import { execFileSync } from "node:child_process";
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { withPropertyKeys } from "../../../../src/engine/expr/property-keys.js";

const key = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom("__proto__", "0", "12", "constructor"));
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.oneof(fc.boolean(), fc.integer(), fc.double({ noNaN: true }), fc.string(), fc.constant(null)),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(key, tie("value"), { maxKeys: 4 }),
  ),
})).value;

describe("property keys", () => {
  it("keeps every value as it was, keys and all", () => {
    fc.assert(
      fc.property(json, (generated) => {
        // As definitions come: parsed from JSON (plain objects, "__proto__" an ordinary key).
        const value = JSON.parse(JSON.stringify(generated)) as unknown;
        const keyed = withPropertyKeys(value);
        // node's deep equality: vitest's reads an own "constructor" key as the object's type.
        expect(isDeepStrictEqual(keyed, value)).toBe(true);
        expect(JSON.stringify(keyed)).toBe(JSON.stringify(value));
      }),
    );
  });

  it("gives internalized strings for a definition that came by structured clone", () => {
    const script = `
      import { withPropertyKeys } from ${JSON.stringify(new URL("../../../../src/engine/expr/property-keys.ts", import.meta.url).href)};
      import { compileJob } from ${JSON.stringify(new URL("../../../../src/engine/query/compile-job.ts", import.meta.url).href)};
      const definition = {
        name: "wc", input: "text-" + "lines", batchInterval: "1s",
        steps: [{ op: "flatMap", expr: "text.split(' ')", as: "wo" + "rd" }, { op: "keyBy", key: "wo" + "rd" }, { op: "aggregate", aggs: { ["n" + "1"]: { fn: "count" } } }],
      };
      // Each on its own clone, looked at before anything uses its strings as keys (V8 may then
      // internalize a string in place).
      const cloned = %IsInternalizedString(structuredClone(definition).steps[0].as);
      const keyed = withPropertyKeys(structuredClone(definition));
      const plan = compileJob(structuredClone(definition));
      console.log(JSON.stringify({
        cloned,
        keyed: [keyed.input, keyed.steps[0].as, keyed.steps[1].key, keyed.steps[0].expr].map((s) => %IsInternalizedString(s)),
        plan: [plan.definition.steps[0].as, plan.definition.steps[1].key].map((s) => %IsInternalizedString(s)),
      }));
    `;
    const out = execFileSync(process.execPath, ["--allow-natives-syntax", "--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8" });
    // The clone alone is not internalized (else this test could not tell anything apart).
    expect(JSON.parse(out)).toEqual({ cloned: false, keyed: [true, true, true, true], plan: [true, true] });
  });
});
