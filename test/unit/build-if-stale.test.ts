/**
 * `npm start` builds only when dist/ is missing or older than the sources, and a build that fails
 * writes nothing, so the next start tries again. Run on a small project of its own in a temporary
 * directory (the repository's dist/ is in use by other tests).
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(path.join(os.tmpdir(), "tributary-build-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function start(): string {
  return execFileSync(process.execPath, [path.join(dir, "scripts", "build-if-stale.mjs")], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Moves a file's modification time `seconds` into the future, so it is newer than any build. */
function touchLater(file: string, seconds: number): void {
  const later = new Date(Date.now() + seconds * 1000);
  utimesSync(file, later, later);
}

it("builds when dist/ is missing or stale, not when it is up to date, and again after a failed build", () => {
  mkdirSync(path.join(dir, "scripts"));
  mkdirSync(path.join(dir, "src"));
  copyFileSync(path.join(ROOT, "scripts", "build-if-stale.mjs"), path.join(dir, "scripts", "build-if-stale.mjs"));
  for (const f of ["tsconfig.json", "tsconfig.build.json", "package-lock.json"]) copyFileSync(path.join(ROOT, f), path.join(dir, f));
  symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  const main = path.join(dir, "src", "main.ts");
  writeFileSync(main, "export const answer: number = 42;\n");

  expect(start()).toMatch(/building/);
  const built = path.join(dir, "dist", "main.js");
  const firstBuild = statSync(built).mtimeMs;
  expect(start()).toMatch(/up to date/);
  expect(statSync(built).mtimeMs).toBe(firstBuild);

  // A source newer than the build: built again.
  writeFileSync(main, "export const answer: number = 43;\n");
  touchLater(main, 5);
  expect(start()).toMatch(/building/);
  expect(statSync(built).mtimeMs).toBeGreaterThan(firstBuild);

  // A build that fails writes nothing, and the next start tries again.
  writeFileSync(main, "export const answer: number = 'not a number';\n");
  touchLater(main, 10);
  const before = statSync(built).mtimeMs;
  expect(() => start()).toThrow();
  expect(statSync(built).mtimeMs).toBe(before);
  expect(() => start()).toThrow();
});
