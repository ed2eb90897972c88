/** Every JSON example in docs/operators.md is a list of steps that compiles, so the page stays true. */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { compileJob } from "../../../../src/engine/query/compile-job.js";
import { OPERATOR_NAMES } from "../../../../src/engine/query/job-definition.js";

const page = await readFile(new URL("../../../../docs/operators.md", import.meta.url), "utf8");
const examples = [...page.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());

describe("docs/operators.md", () => {
  it.each(examples)("%s", (example) => {
    const steps = JSON.parse(`[${example}]`) as unknown[];
    expect(() => compileJob({ name: "doc", input: "s", steps })).not.toThrow();
  });

  it("documents every operator", () => {
    for (const op of OPERATOR_NAMES) expect(page, op).toContain(`"op": "${op}"`);
  });
});
