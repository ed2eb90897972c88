/**
 * The server runs with --single-threaded-gc wherever it is started (README, "Garbage collection"): `npm start`,
 * the Docker image, and the server the tests and the benchmark start. A start command that loses the
 * flag fails here.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

describe("node flags of the server", () => {
  it("are the same in npm start, the Docker image, the test server and the bench", () => {
    const scripts = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts;
    expect(scripts.start).toBe("node --single-threaded-gc dist/main.js");
    expect(scripts.bench).toContain("node --expose-gc --single-threaded-gc dist-bench/bench/run.js");
    expect(read("Dockerfile")).toContain('CMD ["node", "--single-threaded-gc", "dist/main.js"]');
    expect(read("test/support/server-process.ts")).toMatch(/spawn\(process\.execPath, \["--single-threaded-gc", path\.join\(ROOT, "dist\/main\.js"\)\]/);
  });
});
