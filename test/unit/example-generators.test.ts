/** The example generators are used in shell pipelines: `generate.mjs | head` ends quietly, not with EPIPE. */
import { spawn } from "node:child_process";
import path from "node:path";
import { expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");

for (const example of ["grep", "wordcount", "topk", "spam"]) {
  it(`examples/${example}/generate.mjs exits 0 when its reader stops early`, async () => {
    const child = spawn(process.execPath, [path.join(ROOT, "examples", example, "generate.mjs"), "--count", "200000"], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    // Read the first chunk, then close the pipe, as `head -1` does.
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });
}
