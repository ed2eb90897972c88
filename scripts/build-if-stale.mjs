#!/usr/bin/env node
/**
 * `npm start` builds only when it has to: when dist/ is missing or older than a source file or a
 * build setting. A build that fails writes nothing (noEmitOnError), so it is tried again next time.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const built = path.join(root, "dist", "main.js");

/** The newest modification time under `dir` (files only). */
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(full) : statSync(full).mtimeMs);
  }
  return latest;
}

const inputs = Math.max(newest(path.join(root, "src")), ...["tsconfig.json", "tsconfig.build.json", "package-lock.json"].map((f) => statSync(path.join(root, f)).mtimeMs));
if (existsSync(built) && statSync(built).mtimeMs >= inputs) {
  console.log("dist/ is up to date with src/: not building");
} else {
  console.log("building dist/ from src/ …");
  execFileSync(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", path.join(root, "tsconfig.build.json")], { stdio: "inherit" });
}
