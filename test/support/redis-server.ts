/**
 * A redis-server of the test's own, on a free loopback port and in a temporary directory, that a test
 * may kill, restart (same port, same data), pause (SIGSTOP: a stall, the connection stays open) and
 * resume. `testRedis()` picks what a test file runs against: the server in REDIS_URL when it is set,
 * otherwise one started here.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Options of {@link RedisServer.start}. */
export interface RedisServerOptions {
  /** Log every write to the append-only file (default true). */
  readonly appendonly?: boolean;
  /** fsync policy of the append-only file (default "always": nothing acknowledged is lost to a kill). */
  readonly appendfsync?: "always" | "everysec" | "no";
  /** The eviction policy (Redis's default, noeviction, when absent). */
  readonly maxmemoryPolicy?: string;
  /** Data directory; a fresh temporary one (removed by dispose) when absent. */
  readonly dir?: string;
  /**
   * Start it as a Redis Cluster node (cluster-enabled, its config file in its directory, its cluster
   * bus on a free port of its own, not port + 10000, which may be taken or out of range).
   */
  readonly clusterNode?: boolean;
}

/** How long start and restart wait for PING to answer. */
const START_TIMEOUT_MS = 10_000;

export class RedisServer {
  private child: ChildProcess | undefined;
  private paused = false;

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly args: readonly string[],
    private readonly ownsDir: boolean,
  ) {}

  /** Starts redis-server and resolves once it answers PING. */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const ownsDir = options.dir === undefined;
    const dir = options.dir ?? (await mkdtemp(join(tmpdir(), "tributary-redis-")));
    const settings = ["--save", "", "--appendonly", options.appendonly === false ? "no" : "yes", "--dir", dir, "--bind", "127.0.0.1"];
    settings.push("--appendfsync", options.appendfsync ?? "always");
    if (options.maxmemoryPolicy !== undefined) settings.push("--maxmemory-policy", options.maxmemoryPolicy);
    // Another process may take the port between our probe and redis-server's bind: try a few.
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const cluster = options.clusterNode === true ? ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-port", String(await freePort())] : [];
      const server = new RedisServer(await freePort(), dir, [...settings, ...cluster], ownsDir);
      try {
        await server.launch();
        return server;
      } catch (error) {
        lastError = error;
        await server.stop().catch(() => undefined);
      }
    }
    if (ownsDir) await rm(dir, { recursive: true, force: true });
    throw lastError;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Kills the server (SIGKILL by default: no chance to flush anything) and waits until it is gone. */
  async stop(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    if (this.paused) child.kill("SIGCONT"); // a stopped process would not act on SIGTERM
    this.paused = false;
    child.kill(signal);
    await exited;
  }

  /** Starts the server again on the same port with the same data directory. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** Freezes the server (SIGSTOP): connections stay open, nothing is answered. */
  pause(): void {
    this.child?.kill("SIGSTOP");
    this.paused = true;
  }

  resume(): void {
    this.child?.kill("SIGCONT");
    this.paused = false;
  }

  /** Stops the server and removes its data directory if it made it. */
  async dispose(): Promise<void> {
    await this.stop();
    if (this.ownsDir) await rm(this.dir, { recursive: true, force: true });
  }

  private async launch(): Promise<void> {
    const child = spawn("redis-server", ["--port", String(this.port), ...this.args], { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    let output = "";
    const collect = (chunk: Buffer): void => {
      output = `${output}${chunk.toString("utf8")}`.slice(-4_000);
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    const failed = new Promise<never>((_, reject) => {
      child.once("error", (error) => reject(new Error(`cannot run redis-server (is it installed? or set REDIS_URL): ${error.message}`)));
      child.once("exit", (code, signal) => reject(new Error(`redis-server exited (${signal ?? code}) before answering:\n${output}`)));
    });
    failed.catch(() => undefined);
    await Promise.race([failed, untilPingAnswers(this.port, START_TIMEOUT_MS)]);
  }
}

/** A port nobody listens on right now: bind to 0 and let the kernel pick. */
export async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once the server on `port` answers PING with PONG (not LOADING, not refused). */
async function untilPingAnswers(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await pingOnce(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
}

function pingOnce(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    let reply = "";
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("*1\r\n$4\r\nPING\r\n"));
    socket.on("data", (chunk: Buffer) => {
      reply += chunk.toString("latin1");
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
  });
}

/** What a test file runs against. */
export interface TestRedis {
  readonly url: string;
  /** The server when the tests started it themselves: only then may a test kill, pause or restart it. */
  readonly server: RedisServer | undefined;
  dispose(): Promise<void>;
}

/** Set when the tests must use the Redis server at REDIS_URL instead of starting their own. */
export const EXTERNAL_REDIS_URL = process.env.REDIS_URL;

/** Why tests that need their own redis-server do not run against REDIS_URL. */
export const NEEDS_OWN_SERVER =
  "REDIS_URL is set: this test kills, pauses, restarts or reconfigures its own redis-server, which it must not do to a shared one";

/** The Redis server in REDIS_URL when set, otherwise a fresh local one. */
export async function testRedis(options: RedisServerOptions = {}): Promise<TestRedis> {
  if (EXTERNAL_REDIS_URL !== undefined && EXTERNAL_REDIS_URL !== "") {
    return { url: EXTERNAL_REDIS_URL, server: undefined, dispose: async () => undefined };
  }
  const server = await RedisServer.start(options);
  return { url: server.url, server, dispose: () => server.dispose() };
}
