/**
 * The dashboard plots real data and the alert rules evaluate: a real Tributary server runs three jobs
 * on a steady stream of orders while a real Prometheus (Debian's package; .ci/run installs it) scrapes
 * it every second and evaluates grafana/alerts.yml. Then every expression of the dashboard, with
 * $job_name set to the three jobs, and of the alert rules returns one series per job where it is per
 * job, and the figures agree with what the test sent: the ingest rate and each job's processed rate
 * within 10 % of the rate the test sent, the keyed job's state keys, statuses, checkpoints, no worker
 * restarts, no alert firing. The server's /metrics passes promtool check metrics.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrometheusServer, type PromSample } from "../support/prometheus-server.js";
import { hasBinary, promtool } from "../support/promtool.js";
import { ServerProcess } from "../support/server-process.js";

const PROMETHEUS = hasBinary("prometheus") && hasBinary("promtool");
const RULES = fileURLToPath(new URL("../../grafana/alerts.yml", import.meta.url));
const DASHBOARD = fileURLToPath(new URL("../../grafana/tributary-dashboard.json", import.meta.url));

const USERS = 10;
const JOBS = [
  { name: "orders-per-user", input: "orders", batchInterval: "200ms", steps: [{ op: "keyBy", key: "user" }, { op: "runningAggregate", aggs: { orders: { fn: "count" } } }] },
  { name: "big-orders", input: "orders", batchInterval: "200ms", steps: [{ op: "filter", where: "amount > 10" }] },
  { name: "huge-orders", input: "orders", batchInterval: "500ms", steps: [{ op: "filter", where: "amount > 90" }] },
];
const JOB_NAMES = JOBS.map((j) => j.name).sort();
/** Long enough for the dashboard's 1-minute rates to cover only steady sending. */
const SENDING_MS = 75_000;
const EVENTS_PER_POST = 20;
const POST_EVERY_MS = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Each acknowledged post: when, and how many events. */
const acks: { at: number; events: number }[] = [];
let server: ServerProcess;
let prometheus: PrometheusServer;
/** The instant every query is evaluated at (seconds), in the middle of steady sending. */
let at: number;

function sentRate(windowS: number): number {
  const events = acks.filter((a) => a.at > (at - windowS) * 1000 && a.at <= at * 1000).reduce((n, a) => n + a.events, 0);
  return events / windowS;
}

/** `perJob`: the expression filters on $job_name, so it must plot every selected job apart. */
function dashboardExpressions(): { panel: string; expr: string; perJob: boolean }[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8")) as { panels: { title: string; targets?: { expr: string }[] }[] };
  const selected = JOB_NAMES.join("|");
  return dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr.replaceAll("$job_name", selected), perJob: t.expr.includes("$job_name") })));
}

/** The rules' expressions, each comparison made `bool` so every series shows whether it would alert (0 or 1). */
function alertExpressions(): { alert: string; expr: string }[] {
  const text = readFileSync(RULES, "utf8");
  return [...text.matchAll(/- alert: (\w+)\n(?:.*\n)*?\s+expr: (.+)/g)].map((m) => ({ alert: m[1]!, expr: m[2]!.replace(/ (==|!=|>=|<=|>|<) /g, " $1 bool ") }));
}

/** Whether an alert is about a job: it reads job_name, so it must alert on every job apart. */
const perJob = (expr: string) => expr.includes("job_name");

function expectOneSetPerJob(what: string, samples: readonly PromSample[]): void {
  const jobs = samples.map((s) => s.metric.job_name);
  expect([...new Set(jobs)].sort(), what).toEqual(JOB_NAMES);
  const perJobCount = JOB_NAMES.map((j) => jobs.filter((x) => x === j).length);
  expect(new Set(perJobCount).size, `${what}: as many series for every job`).toBe(1);
}

describe.skipIf(!PROMETHEUS)("the dashboard and alert rules on a real Prometheus", () => {
  beforeAll(async () => {
    server = await ServerProcess.start({ CHECKPOINT_INTERVAL_MS: "2000", WORKERS: "2" });
    prometheus = await PrometheusServer.start(`127.0.0.1:${server.port}`, [RULES]);
    await server.requestOk("POST", "/v1/streams", { name: "orders", partitions: 2 });
    for (const job of JOBS) await server.requestOk("POST", "/v1/jobs", job);

    let n = 0;
    const start = Date.now();
    for (let next = start; Date.now() - start < SENDING_MS; next += POST_EVERY_MS) {
      const events = Array.from({ length: EVENTS_PER_POST }, () => ({ user: `u${n % USERS}`, amount: n++ % 100 }));
      await server.requestOk("POST", "/v1/streams/orders/events", events);
      acks.push({ at: Date.now(), events: events.length });
      await sleep(Math.max(0, next + POST_EVERY_MS - Date.now()));
    }
    at = Math.floor(acks.at(-1)!.at / 1000) - 3;
    // Every job has caught up, and Prometheus has scraped and evaluated past `at`.
    await prometheus.until(async () => (await prometheus.query("max(tributary_job_lag_events)", Date.now() / 1000))[0]?.value === 0, "every job to catch up");
    await prometheus.until(async () => (await prometheus.query("time() - max(timestamp(up))", Date.now() / 1000))[0]!.value < 2 && Date.now() / 1000 > at + 5, "a scrape after the instant queried");
  }, 240_000);

  afterAll(async () => {
    await prometheus?.dispose();
    await server?.dispose();
  });

  it("scrapes an exposition promtool finds nothing wrong with", async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(promtool(["check", "metrics"], text)).toEqual({ status: 0, output: "" });
    expect((await prometheus.query('up{job="tributary"}', at))[0]!.value).toBe(1);
  });

  it("evaluates every dashboard expression: one series per job where it is per job, data everywhere", async () => {
    const expressions = dashboardExpressions();
    expect(expressions.length).toBeGreaterThan(30);
    expect(expressions.filter((e) => e.perJob).length).toBeGreaterThan(20);
    for (const { panel, expr, perJob } of expressions) {
      const samples = await prometheus.query(expr, at);
      const what = `${panel}: ${expr}`;
      expect(samples.length, what).toBeGreaterThan(0);
      if (perJob) {
        expectOneSetPerJob(what, samples);
        for (const s of samples) expect(Number.isFinite(s.value), `${what} ${JSON.stringify(s)}`).toBe(true);
      }
    }
  });

  it("plots the rates the test sent, per job", async () => {
    const sent = sentRate(60);
    expect(sent).toBeGreaterThan(50);
    const [ingest] = await prometheus.query('sum by (stream) (rate(tributary_events_ingested_total{stream="orders"}[1m]))', at);
    expect(Math.abs(ingest!.value - sent) / sent, `ingest ${ingest!.value}/s, sent ${sent}/s`).toBeLessThan(0.1);
    const selected = JOB_NAMES.join("|");
    const processed = await prometheus.query(`sum by (job_name) (rate(tributary_batch_events_total{job_name=~"${selected}"}[1m]))`, at);
    for (const s of processed) expect(Math.abs(s.value - sent) / sent, `${s.metric.job_name} processed ${s.value}/s, sent ${sent}/s`).toBeLessThan(0.1);
    console.info(`sent ${sent.toFixed(1)} events/s; Prometheus: ingested ${ingest!.value.toFixed(1)}/s, processed ${processed.map((p) => `${p.metric.job_name} ${p.value.toFixed(1)}/s`).join(", ")}`);
    const bigRows = await prometheus.query('sum by (job_name) (rate(tributary_output_rows_total{job_name="big-orders"}[1m]))', at);
    expect(Math.abs(bigRows[0]!.value - sent * 0.89) / (sent * 0.89)).toBeLessThan(0.1);
  });

  it("plots where each job stands: status, state keys, checkpoints, no failures or restarts", async () => {
    const status = await prometheus.query("max by (job_name, status) (tributary_job_status) == 1", at);
    expect(status.map((s) => [s.metric.job_name, s.metric.status]).sort()).toEqual(JOB_NAMES.map((j) => [j, "running"]));
    const keys = await prometheus.query("max by (job_name) (tributary_state_keys)", at);
    expect(keys.find((s) => s.metric.job_name === "orders-per-user")!.value).toBe(USERS);
    const checkpoints = await prometheus.query("sum by (job_name, outcome) (tributary_checkpoints_total)", at);
    for (const job of JOB_NAMES) {
      expect(checkpoints.find((s) => s.metric.job_name === job && s.metric.outcome === "completed")!.value, job).toBeGreaterThan(5);
      expect(checkpoints.find((s) => s.metric.job_name === job && s.metric.outcome === "failed")!.value, job).toBe(0);
    }
    const age = await prometheus.query("max by (job_name) (tributary_last_checkpoint_age_seconds)", at);
    for (const s of age) expect(s.value, s.metric.job_name).toBeLessThan(60);
    expect((await prometheus.query("sum(tributary_worker_restarts_total)", at))[0]!.value).toBe(0);
    expect((await prometheus.query("sum(tributary_batches_failed_total)", at))[0]!.value).toBe(0);
  });

  it("evaluates every alert rule per job, and none fires on a healthy run", async () => {
    const alerts = alertExpressions();
    expect(alerts.length).toBe(11);
    for (const { alert, expr } of alerts) {
      const samples = await prometheus.query(expr, at);
      expect(samples.length, `${alert}: ${expr}`).toBeGreaterThan(0);
      if (perJob(expr)) expectOneSetPerJob(`${alert}: ${expr}`, samples);
    }
    const rules = await prometheus.rules();
    expect(rules.map((r) => r.name).sort()).toEqual(alerts.map((a) => a.alert).sort());
    for (const rule of rules) {
      expect(rule.health, `${rule.name}: ${rule.lastError ?? ""}`).toBe("ok");
      expect(rule.state, rule.name).not.toBe("firing");
    }
  });
});

if (!PROMETHEUS) {
  describe.skip("the dashboard and alert rules on a real Prometheus (skipped: the prometheus and promtool binaries are not installed; apt-get install prometheus, as .ci/run does)", () => {
    it("evaluates the dashboard and alert rules", () => undefined);
  });
}
