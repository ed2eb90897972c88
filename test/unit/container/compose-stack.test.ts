/**
 * docker-compose.yml holds together (no container engine runs here, so its parts are checked against
 * each other): Tributary on Redis with every write fsynced, Prometheus scraping Tributary where it
 * listens and loading grafana/alerts.yml, Grafana provisioned with that Prometheus and the dashboard,
 * and every file a service mounts is in the repository. The Dockerfile's sources pass .dockerignore.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { dockerfileStages } from "../../support/dockerfile.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const compose = parse(read("docker-compose.yml")) as Json;
const services = compose.services as Json;

/** A service's bind mounts: host path (relative to the repository) -> path in the container. */
function mounts(service: string): { host: string; container: string }[] {
  return ((services[service].volumes ?? []) as string[])
    .map((v) => v.split(":"))
    .filter(([host]) => host!.startsWith("./"))
    .map(([host, container]) => ({ host: posix.normalize(host!), container: container! }));
}

/** The repository path a container path of a service comes from, through its bind mounts. */
function hostPathOf(service: string, containerPath: string): string | undefined {
  for (const { host, container } of mounts(service)) {
    if (containerPath === container) return host;
    if (containerPath.startsWith(`${container}/`)) return posix.join(host, containerPath.slice(container.length + 1));
  }
  return undefined;
}

/** `--flag=value` out of a command list. */
const flag = (command: string[], name: string) => command.find((c) => c.startsWith(`--${name}=`))?.split("=")[1];

/** A Prometheus rule_files pattern (`*` within a name) as a test of a path. */
const globMatches = (pattern: string, path: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*")}$`).test(path);

const tributaryPort = () => {
  const env = dockerfileStages(read("Dockerfile")).at(-1)!.env;
  return Number(env.PORT);
};

describe("docker-compose.yml", () => {
  it("has Tributary, Redis, Prometheus and Grafana, and every file it mounts exists", () => {
    expect(Object.keys(services).sort()).toEqual(["grafana", "prometheus", "redis", "tributary"]);
    for (const name of Object.keys(services)) {
      for (const { host } of mounts(name)) expect(existsSync(join(ROOT, host)), `${name} mounts ${host}`).toBe(true);
    }
  });

  it("builds Tributary from this Dockerfile, on Redis, publishing the port the image listens on", () => {
    const tributary = services.tributary;
    expect(tributary.build).toBe(".");
    expect(tributary.environment.REDIS_URL).toBe("redis://redis:6379");
    expect(tributary.depends_on.redis.condition).toBe("service_healthy");
    expect(tributary.ports).toContain(`${tributaryPort()}:${tributaryPort()}`);
    expect(dockerfileStages(read("Dockerfile")).at(-1)!.env.HOST).toBe("0.0.0.0");
  });

  it("runs Redis with its append-only file fsynced on every write", () => {
    const command = services.redis.command as string[];
    const setting = (name: string) => command[command.indexOf(`--${name}`) + 1];
    expect(command[0]).toBe("redis-server");
    expect(setting("appendonly")).toBe("yes");
    expect(setting("appendfsync")).toBe("always");
    expect(setting("maxmemory-policy")).toBe("noeviction");
    expect(services.redis.healthcheck.test).toEqual(["CMD", "redis-cli", "ping"]);
  });

  it("has Prometheus scrape Tributary where it listens, and load grafana/alerts.yml", () => {
    const configPath = hostPathOf("prometheus", flag(services.prometheus.command, "config.file")!);
    expect(configPath).toBeDefined();
    const config = parse(read(configPath!)) as Json;
    const scrape = (config.scrape_configs as Json[]).find((s) => s.job_name === "tributary")!;
    expect(scrape.metrics_path).toBe("/metrics");
    expect(scrape.static_configs[0].targets).toEqual([`tributary:${tributaryPort()}`]);
    const rules = (config.rule_files as string[]).map((pattern) => hostPathOf("prometheus", pattern));
    expect(rules.some((pattern) => pattern !== undefined && globMatches(pattern, "grafana/alerts.yml")), `rule_files ${config.rule_files} load grafana/alerts.yml`).toBe(true);
    // Nothing else in grafana/ is taken for a rules file (the scrape example, the dashboard).
    for (const other of ["grafana/prometheus.yml", "grafana/tributary-dashboard.json"]) expect(rules.some((p) => p !== undefined && globMatches(p, other)), other).toBe(false);
  });

  it("provisions Grafana with the stack's Prometheus and the Tributary dashboard", () => {
    const provisioned = (kind: string) =>
      mounts("grafana")
        .filter((m) => m.container.startsWith(`/etc/grafana/provisioning/${kind}/`))
        .map((m) => parse(read(m.host)) as Json);
    const [datasources] = provisioned("datasources");
    const prometheus = (datasources!.datasources as Json[]).find((d) => d.type === "prometheus")!;
    expect(prometheus.url).toBe(`http://prometheus:${services.prometheus.ports[0].split(":")[1]}`);
    expect(prometheus.isDefault).toBe(true);
    const [dashboards] = provisioned("dashboards");
    const home = hostPathOf("grafana", services.grafana.environment.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH);
    expect(home).toBe("grafana/tributary-dashboard.json");
    expect(mounts("grafana").find((m) => m.host === "grafana/tributary-dashboard.json")!.container.startsWith(`${dashboards!.providers[0].options.path}/`)).toBe(true);
    expect((JSON.parse(read("grafana/tributary-dashboard.json")) as Json).panels.length).toBeGreaterThan(0);
  });
});

describe(".dockerignore", () => {
  it("lets through every file the Dockerfile copies from the repository, and keeps out node_modules and data", () => {
    const allowed = read(".dockerignore")
      .split("\n")
      .filter((line) => line.startsWith("!"))
      .map((line) => line.slice(1).replace(/\/$/, ""));
    expect(read(".dockerignore").split("\n")).toContain("*");
    const sources = dockerfileStages(read("Dockerfile")).flatMap((stage) => stage.copies.filter((c) => c.from === undefined).flatMap((c) => c.sources));
    expect(sources.length).toBeGreaterThan(3);
    for (const source of sources) expect(allowed, source).toContain(source.replace(/\/$/, ""));
    for (const kept of ["node_modules", "data", "dist", ".git"]) expect(allowed).not.toContain(kept);
  });
});
