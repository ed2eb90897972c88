/**
 * Starts the real Tributary server (dist/main.js, built by `npm test`'s pretest and by `npm run bench`)
 * as a separate process on a free loopback port with its own data directory, so end-to-end tests and
 * the benchmarks talk to it over real sockets and can SIGKILL and restart it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";

/** The checkout: the nearest folder up with a package.json (this file also runs compiled, from dist-bench/). */
function checkoutRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

const ROOT = checkoutRoot(import.meta.dirname);
const OUTPUT_KEPT = 20_000;

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
  /** Lines of output holding one of the watched texts, kept whole for the life of this object. */
  private readonly watched: { readonly text: string; readonly lines: string[] }[] = [];
  private partialLine = "";

  private constructor(
    readonly port: number,
    readonly dataDir: string,
    private readonly env: Record<string, string>,
  ) {}

  /** The checkout the server runs from (examples/ and the rest are read from there). */
  get root(): string {
    return ROOT;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** A server on a fresh data directory (kept across restart(), removed by dispose()). */
  static async start(env: Record<string, string> = {}): Promise<ServerProcess> {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "tributary-server-"));
    const server = new ServerProcess(await freePort(), dataDir, env);
    await server.launch();
    return server;
  }

  /**
   * A server, not started yet, on another server's data directory (to show that a second process there
   * is refused); its launch() rejects with the exit code and output of a server that could not start.
   */
  static on(dataDir: string, env: Record<string, string> = {}): Promise<ServerProcess> {
    return freePort().then((port) => new ServerProcess(port, dataDir, env));
  }

  /** The running process's id. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * Starts the process and resolves once /healthz answers and, unless `until` is "listening", /readyz
   * says every job the server claimed is back (a restarted server listens at once and rebuilds its
   * jobs in the background; a store that cannot take writes ends the wait too). A server that exits
   * fails at once; one still starting (slowly on a loaded machine) is waited for, up to a bound that
   * only ends a stuck start.
   */
  async launch(until: "listening" | "jobs back" = "jobs back"): Promise<void> {
    this.output = "";
    // As `npm start` runs it.
    const child = spawn(process.execPath, ["--single-threaded-gc", path.join(ROOT, "dist/main.js")], {
      cwd: ROOT,
      // Load shedding is off unless a test turns it on: on a machine kept busy by other processes a
      // server can lag for reasons that are not its own, and tests that expect every post acknowledged
      // would see 503s (shedding has its own tests).
      env: { ...process.env, PORT: String(this.port), HOST: "127.0.0.1", DATA_DIR: this.dataDir, LOG_LEVEL: "warn", REDIS_URL: "", REDIS_CLUSTER_NODES: "", SHED_EVENT_LOOP_DELAY_MS: "0", SHED_JOB_DELAY_MS: "0", ...this.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    // The newest output only, so a server that runs for minutes cannot fill memory.
    const keep = (d: Buffer) => {
      const text = d.toString();
      this.output = (this.output + text).slice(-OUTPUT_KEPT);
      if (this.watched.length > 0) this.watch(text);
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${this.output}`);
      try {
        const res = await fetch(`${this.url}/healthz`);
        if (res.ok && (until === "listening" || (await this.jobsBack()))) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`server did not become healthy: ${this.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Whether /readyz says every job the server claimed is back (or that the store is down: nothing to wait for). */
  private async jobsBack(): Promise<boolean> {
    const res = await fetch(`${this.url}/readyz`);
    if (res.status === 503) return true;
    const body = (await res.json()) as { recovery?: { allBack?: boolean } };
    return body.recovery?.allBack === true;
  }

  /** SIGKILL: no shutdown hooks run, exactly like a crash. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill(signal);
    });
  }

  /**
   * Sends SIGTERM (or `signal`) and waits for the process to exit by itself: its exit code (null when a
   * signal ended it) and how long it took. Past `waitMs` it is SIGKILLed and this rejects.
   */
  async stop(signal: NodeJS.Signals = "SIGTERM", waitMs = 60_000): Promise<{ code: number | null; ms: number }> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) throw new Error("the server is not running");
    const sent = Date.now();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`the server did not exit within ${waitMs} ms of ${signal}: ${this.output}`));
      }, waitMs);
      child.once("exit", (code) => {
        clearTimeout(timer);
        resolve({ code, ms: Date.now() - sent });
      });
      child.kill(signal);
    });
  }

  /** Sends a signal (e.g. SIGHUP) without waiting for anything. */
  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /** SIGKILL, then start again on the same data directory (with `env` changed, e.g. another runner). */
  async restart(env: Record<string, string> = {}): Promise<void> {
    await this.kill();
    Object.assign(this.env, env);
    await this.launch();
  }

  logs(): string {
    return this.output;
  }

  /**
   * Every output line holding `text` from now on (across restarts), kept whole however much else the
   * server prints; the returned array fills as lines come.
   */
  linesWith(text: string): readonly string[] {
    const lines: string[] = [];
    this.watched.push({ text, lines });
    return lines;
  }

  private watch(text: string): void {
    const lines = (this.partialLine + text).split("\n");
    this.partialLine = lines.pop()!.slice(-OUTPUT_KEPT);
    for (const line of lines) for (const w of this.watched) if (line.includes(w.text)) w.lines.push(line);
  }

  async dispose(): Promise<void> {
    await this.kill("SIGTERM");
    await rm(this.dataDir, { recursive: true, force: true });
  }

  async request<T = unknown>(method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
    const init: RequestInit = { method, headers: { ...headers }, signal: AbortSignal.timeout(120_000) };
    if (body !== undefined) {
      init.body = typeof body === "string" ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)["content-type"] ??= "application/json";
    }
    const res = await fetch(`${this.url}${route}`, init);
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** A JSON request that must succeed: its body, or an error with the server's answer. */
  async requestOk<T = unknown>(method: string, route: string, body?: unknown): Promise<T> {
    const res = await this.request<T>(method, route, body);
    if (res.status >= 400) throw new Error(`${method} ${route} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
    return res.body;
  }
}
