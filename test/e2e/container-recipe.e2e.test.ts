/**
 * The image's recipe works: the Dockerfile's own COPY and RUN lines (install, build, prune) run in a
 * fresh temporary directory, its runtime stage is assembled from what they made, and its CMD starts
 * the server as a non-root user, which answers /healthz and /readyz and serves its contract. No
 * container engine runs here, so the directories stand in for the stages: /app of a stage is its
 * directory, and the image's /data a temporary one. The Node is this machine's, not the image's.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { dockerfileStages, type DockerStage } from "../support/dockerfile.js";
import { freePort } from "../support/redis-server.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** The image runs as `node`; here, when the tests run as root, as nobody. */
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

const work = mkdtempSync(join(tmpdir(), "tributary-image-"));
let server: ChildProcess | undefined;
afterAll(() => {
  server?.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
});

/** Runs a stage's COPY and RUN lines in `dir`, with `/app` of earlier stages mapped to their directories. */
function runStage(stage: DockerStage, dir: string, stageDirs: Map<string, string>, rewrite: (command: string) => string = (c) => c): void {
  mkdirSync(dir, { recursive: true });
  for (const step of stage.steps) {
    if (step.kind === "copy") {
      for (const source of step.sources) {
        const from = step.from === undefined ? join(ROOT, source) : join(stageDirs.get(step.from)!, source.replace(/^\/app\/?/, ""));
        const to = step.sources.length > 1 || step.destination.endsWith("/") ? join(dir, step.destination, source.split("/").at(-1)!) : join(dir, step.destination);
        cpSync(from, to, { recursive: true });
      }
    } else {
      execFileSync("sh", ["-c", rewrite(step.command)], { cwd: dir, stdio: "pipe", timeout: 600_000, env: { ...process.env, ...stage.env, npm_config_update_notifier: "false" } });
    }
  }
}

async function get(url: string): Promise<{ status: number; text: string } | undefined> {
  try {
    const res = await fetch(url);
    return { status: res.status, text: await res.text() };
  } catch {
    return undefined;
  }
}

describe("the image's recipe", () => {
  it("installs, builds and prunes in a fresh directory, and what it made starts as a non-root user and answers /healthz", async () => {
    const stages = dockerfileStages(readFileSync(join(ROOT, "Dockerfile"), "utf8"));
    expect(stages.map((s) => s.name)).toEqual(["build", undefined]);
    const [build, runtime] = stages as [DockerStage, DockerStage];
    expect(build.steps.filter((s) => s.kind === "run").map((s) => (s as { command: string }).command)).toEqual(["npm ci --no-audit --no-fund", "npm run build", "npm prune --omit=dev"]);

    const buildDir = join(work, "build");
    runStage(build, buildDir, new Map());
    expect(existsSync(join(buildDir, "dist", "main.js"))).toBe(true);
    // Pruned: what the tests and the build need is gone, what the server needs is there.
    expect(existsSync(join(buildDir, "node_modules", "vitest"))).toBe(false);
    expect(existsSync(join(buildDir, "node_modules", "typescript"))).toBe(false);
    expect(existsSync(join(buildDir, "node_modules", "fastify"))).toBe(true);

    // The image's data directory, owned by the user the server runs as.
    const dataDir = join(work, "data");
    const appDir = join(work, "app");
    const owner = asRoot ? `${NOBODY}:${NOBODY}` : `${process.getuid!()}:${process.getgid!()}`;
    const runtimeDataDir = runtime.env.DATA_DIR!;
    runStage(runtime, appDir, new Map([["build", buildDir]]), (command) => command.replaceAll(runtimeDataDir, dataDir).replaceAll("node:node", owner));
    if (asRoot) {
      chmodSync(work, 0o755);
      chownSync(dataDir, NOBODY, NOBODY);
    }
    expect(existsSync(dataDir)).toBe(true);

    expect(runtime.user).toBe("node");
    const [command, ...args] = runtime.cmd!;
    expect(command).toBe("node");
    const port = await freePort();
    let output = "";
    server = spawn(process.execPath, args, {
      cwd: appDir,
      env: { PATH: process.env.PATH, ...runtime.env, PORT: String(port), DATA_DIR: dataDir, WORKERS: "1", STANDBY_WORKERS: "0" },
      stdio: ["ignore", "pipe", "pipe"],
      ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
    });
    server.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    server.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    let health: { status: number; text: string } | undefined;
    while (!(health = await get(`${base}/healthz`))) {
      if (Date.now() > deadline || server.exitCode !== null) throw new Error(`the server did not answer /healthz within 60 s:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(health).toEqual({ status: 200, text: JSON.stringify({ status: "ok" }) });
    expect((await get(`${base}/readyz`))?.status, output).toBe(200);
    // openapi.yaml made it into the image.
    expect((await get(`${base}/openapi.yaml`))?.text).toBe(readFileSync(join(ROOT, "openapi.yaml"), "utf8"));
    expect(output).toContain('"msg":"Tributary is listening"');

    const exited = new Promise<number | null>((resolve) => server!.once("exit", (code) => resolve(code)));
    server.kill("SIGTERM");
    expect(await exited, output).toBe(0);
  }, 900_000);
});
