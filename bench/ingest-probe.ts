/**
 * Ingest alone, end to end over HTTP: NDJSON bodies of 1,000 grep records (100 bytes each) pushed at
 * rising offered rates into a stream no job reads, with the server's default load shedding on. For each
 * step: the acknowledged rate, the 503s, and the server's CPU (cores, from /proc). Shows whether ingest
 * uses more than one core and whether the acknowledged rate levels off under excess load.
 * Run: `npm run build && npx tsx bench/ingest-probe.ts [rate,rate,...] [KEY=value,...]` (server environment,
 * e.g. INGEST_THREADS=0 to encode on the main thread).
 */
import { readFileSync } from "node:fs";
import { ndjson, textSource, vocabulary } from "./corpus.js";
import { pushAtRate } from "./http-load.js";
import { jobDefinition } from "./workloads.js";
import { ServerProcess } from "../test/support/server-process.js";

function cpuSeconds(path: string): number {
  const fields = readFileSync(path, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds of the whole server, and of its main thread alone (its task id is the process id). */
function cpu(pid: number): { all: number; main: number } {
  return { all: cpuSeconds(`/proc/${pid}/stat`), main: cpuSeconds(`/proc/${pid}/task/${pid}/stat`) };
}

const rates = (process.argv[2] ?? "200000,400000,800000,1600000").split(",").map(Number);
const source = textSource({ batches: 16, recordsPerBatch: 1000, vocabulary: vocabulary(10_000), seed: 99 });
const bodies = Array.from({ length: 16 }, (_, b) => ndjson(source.batch(b + 1).events));
const extraEnv = Object.fromEntries((process.argv[3] ?? "").split(",").filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
// PROBE_URL and PROBE_PID: a server started by hand (e.g. under --cpu-prof) instead of one of our own.
const server = process.env.PROBE_URL
  ? { url: process.env.PROBE_URL, dispose: async () => undefined }
  : await ServerProcess.start({ LOG_LEVEL: "error", SHED_EVENT_LOOP_DELAY_MS: "1000", ...extraEnv });
const pid = process.env.PROBE_PID ? Number(process.env.PROBE_PID) : (server as unknown as { child: { pid: number } }).child.pid;
try {
  await fetch(`${server.url}/v1/streams`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "probe", partitions: 4 }) });
  // PROBE_JOB=grep: a grep job reads the stream, so ingest competes with a job for the cores, as end to end.
  if (process.env.PROBE_JOB === "grep") {
    const job = jobDefinition("grep", { id: "probe-grep", input: "probe", batchIntervalMs: 1000, windowBatches: 1 });
    const created = await fetch(`${server.url}/v1/jobs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(job) });
    if (created.status !== 201) throw new Error(`the grep job was refused: ${await created.text()}`);
  }
  for (const rate of rates) {
    const cpu0 = cpu(pid);
    const t0 = Date.now();
    const outcome = await pushAtRate({ url: server.url, stream: "probe", bodies, recordsPerBody: 1000, offeredRecordsPerSec: rate, durationMs: 8000, clients: 16 });
    const cpu1 = cpu(pid);
    const seconds = (Date.now() - t0) / 1000;
    const events = outcome.acks.length * 1000;
    const micros = (s: number) => Number(((s * 1e6) / Math.max(1, events)).toFixed(2));
    console.log(
      JSON.stringify({
        offered: rate,
        acknowledged: Math.round(outcome.achievedRecordsPerSec),
        failures: outcome.failures,
        lastFailure: outcome.lastFailure,
        failuresPerSec: Math.round(outcome.failures / seconds),
        serverCores: Number(((cpu1.all - cpu0.all) / seconds).toFixed(2)),
        mainThreadCores: Number(((cpu1.main - cpu0.main) / seconds).toFixed(2)),
        serverCpuMicrosPerEvent: micros(cpu1.all - cpu0.all),
        mainThreadCpuMicrosPerEvent: micros(cpu1.main - cpu0.main),
      }),
    );
  }
} finally {
  await server.dispose();
}
