/** Which patterns a stream's schema may hold: those that cannot backtrack without end. */
import { describe, expect, it } from "vitest";
import { patternProblem } from "../../../src/engine/event-schema-bounds.js";

describe("patternProblem", () => {
  it.each(["^@[a-z0-9_]+$", "^[a-z]+@[a-z]+\\.[a-z]+$", "(\\d{3}-){2}\\d{4}", "^(?:ab)+$", "^[(a+)+]*$", "^\\(a+\\)+$", "^(a|b)$"])("accepts %s", (pattern) => {
    expect(patternProblem(pattern)).toBeUndefined();
  });

  it.each([
    ["(a+)+$", /repeats a group that itself repeats or alternates/],
    ["(a|aa)*", /repeats a group/],
    ["(\\w+\\s?)*$", /repeats a group/],
    ["((a+)b)+", /repeats a group/],
    ["(a{2,5}){1,9}", /repeats a group/],
    ["(a)\\1", /backreference/],
    ["(?<x>a)\\k<x>", /backreference/],
    ["a(?=b)", /lookaround/],
    ["[a-", /not a regular expression/],
    ["a".repeat(257), /at most 256/],
  ])("refuses %s", (pattern, problem) => {
    expect(patternProblem(pattern)).toMatch(problem);
  });
});
