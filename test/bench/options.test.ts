import { describe, expect, it } from "vitest";
import { nexmarkQueries, onlySections } from "../../bench/options.js";

describe("benchmark section selection", () => {
  it("runs every section without --only, and the named ones with it", () => {
    expect(onlySections(["node", "run.js", "--quick"])).toBeNull();
    expect(onlySections(["node", "run.js", "--only=nexmark"])).toEqual(["nexmark"]);
    expect(onlySections(["node", "run.js", "--only", "throughput,memory"])).toEqual(["throughput", "memory"]);
  });

  it("refuses a name that is no section, saying which are", () => {
    expect(() => onlySections(["--only=nexmrk"])).toThrow(/from: throughput, .*nexmark \(not a section: nexmrk\)/);
    expect(() => onlySections(["--only="])).toThrow(/--only takes section names/);
  });

  it("takes some Nexmark queries, or all of them", () => {
    expect(nexmarkQueries([])).toEqual(["q0", "q1", "q2", "q3", "q4", "q5", "q7", "q8"]);
    expect(nexmarkQueries(["--nexmark=q5,q7"])).toEqual(["q5", "q7"]);
    expect(() => nexmarkQueries(["--nexmark=q6"])).toThrow(/not a query: q6/);
  });
});
