/**
 * A real Prometheus server (Debian's `prometheus` package) on a free loopback port, with a config of
 * the test's own: it scrapes one Tributary server every second and evaluates the given rule files.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { freePort } from "./server-process.js";

export interface PromSample {
  readonly metric: Record<string, string>;
  readonly value: number;
}

export class PrometheusServer {
  private output = "";

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly url: string,
  ) {}

  static async start(target: string, ruleFiles: readonly string[]): Promise<PrometheusServer> {
    const dir = await mkdtemp(path.join(os.tmpdir(), "tributary-prometheus-"));
    const config = [
      "global:",
      "  scrape_interval: 1s",
      "  evaluation_interval: 1s",
      "rule_files:",
      ...ruleFiles.map((f) => `  - ${JSON.stringify(f)}`),
      "scrape_configs:",
      "  - job_name: tributary",
      "    static_configs:",
      `      - targets: [${JSON.stringify(target)}]`,
      "",
    ].join("\n");
    await writeFile(path.join(dir, "prometheus.yml"), config);
    const port = await freePort();
    const child = spawn("prometheus", [`--config.file=${path.join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${path.join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ["ignore", "pipe", "pipe"] });
    const server = new PrometheusServer(child, dir, `http://127.0.0.1:${port}`);
    const keep = (d: Buffer) => (server.output = (server.output + d.toString()).slice(-20_000));
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    await server.until(async () => (await fetch(`${server.url}/-/ready`).catch(() => undefined))?.ok === true, "Prometheus to be ready");
    return server;
  }

  /** An instant query at `time` (seconds since the epoch); throws with Prometheus's error when it fails. */
  async query(expr: string, time: number): Promise<PromSample[]> {
    const res = await fetch(`${this.url}/api/v1/query?${new URLSearchParams({ query: expr, time: String(time) })}`);
    const body = (await res.json()) as { status: string; error?: string; data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (body.status !== "success") throw new Error(`${expr}: ${body.error}`);
    if (body.data.resultType === "scalar") return [{ metric: {}, value: Number((body.data.result as unknown as [number, string])[1]) }];
    return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  /** The alerting rules as Prometheus evaluates them now. */
  async rules(): Promise<{ name: string; health: string; lastError?: string; state: string }[]> {
    const body = (await (await fetch(`${this.url}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; health: string; lastError?: string; state: string }[] }[] } };
    return body.data.groups.flatMap((g) => g.rules);
  }

  /** Waits on evidence, with a bound that only ends a stuck run. */
  async until(ready: () => Promise<boolean>, what: string, patienceMs = 60_000): Promise<void> {
    const deadline = Date.now() + patienceMs;
    while (!(await ready())) {
      if (this.child.exitCode !== null) throw new Error(`prometheus exited (${this.child.exitCode}) waiting for ${what}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async dispose(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once("exit", r));
      this.child.kill("SIGTERM");
      await exited;
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
