/**
 * The real Tributary server (dist/main.js, from `npm run build`) as a child process on a free loopback
 * port with its own data directory, so the benchmark reaches it only over real sockets and can
 * SIGKILL and restart it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { sleep } from "./stats.js";

const ROOT = path.resolve(import.meta.dirname, "../..");

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export class ServerProcess {
  private child: ChildProcess | undefined;
  private output = "";

  private constructor(
    readonly port: number,
    readonly dataDir: string,
    private readonly env: Record<string, string>,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  static async start(env: Record<string, string> = {}): Promise<ServerProcess> {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "tributary-bench-"));
    const server = new ServerProcess(await freePort(), dataDir, env);
    await server.launch();
    return server;
  }

  /** Starts the process and resolves once /healthz answers (at most 20 s). */
  async launch(): Promise<void> {
    this.output = "";
    const child = spawn(process.execPath, [path.join(ROOT, "dist/main.js")], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(this.port), HOST: "127.0.0.1", DATA_DIR: this.dataDir, LOG_LEVEL: "warn", REDIS_URL: "", ...this.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    child.stdout!.on("data", (d: Buffer) => (this.output = (this.output + d.toString()).slice(-4000)));
    child.stderr!.on("data", (d: Buffer) => (this.output = (this.output + d.toString()).slice(-4000)));
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode}: ${this.output}`);
      try {
        if ((await fetch(`${this.url}/healthz`)).ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`the server did not become healthy in 20 s: ${this.output}`);
      await sleep(20);
    }
  }

  /** SIGKILL by default: no shutdown hook runs, as in a crash. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill(signal);
    });
  }

  logs(): string {
    return this.output;
  }

  async dispose(): Promise<void> {
    await this.kill("SIGTERM");
    await rm(this.dataDir, { recursive: true, force: true });
  }

  /** A JSON request; throws with the server's error body on a status >= 400. */
  async request<T = unknown>(method: string, route: string, body?: unknown): Promise<T> {
    const init: RequestInit = { method, signal: AbortSignal.timeout(120_000) };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { "content-type": "application/json" };
    }
    const res = await fetch(`${this.url}${route}`, init);
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${route} answered ${res.status}: ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}
