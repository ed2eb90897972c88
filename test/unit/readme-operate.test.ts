/** The README's "Operate" table names every environment variable the server reads, and no other. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CONFIG_VARIABLES } from "../../src/config.js";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

describe("README, Operate", () => {
  it("has a row for every environment variable in src/config.ts, and none it does not read", () => {
    const section = readme.slice(readme.indexOf("## Operate"), readme.indexOf("### Durability with Redis"));
    const rows = section.split("\n").filter((line) => line.startsWith("| `"));
    const named = rows.flatMap((row) => [...row.split(" | ")[0]!.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]!));
    expect(CONFIG_VARIABLES.length).toBeGreaterThan(30);
    expect([...named].sort()).toEqual([...CONFIG_VARIABLES].sort());
  });
});
