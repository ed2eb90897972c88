/**
 * Every step users can write, on every runner, through a crash: each JSON example of
 * docs/operators.md and each example job in examples/ is registered on a real server process, on the
 * in-thread runner (WORKERS=0) and on the worker pool, once with no failure and once with the server
 * SIGKILLed in the middle and restarted on the other runner. Every job must register, keep running, and give exactly the
 * frames that the in-thread code computes, with no failure, from the batches the server recorded
 * (the descriptors are collected as the jobs run, because checkpoints trim them).
 *
 * The examples run with shorter timing (200 ms batches; windows, gaps, ttls and timeouts scaled down)
 * so that windows open and close within seconds; their steps are otherwise their own.
 */
import { readdirSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { tweets } from "../../examples/lib/corpus.mjs";
import { compileJob } from "../../src/engine/query/compile-job.js";
import { BatchExecutor } from "../../src/engine/scheduler/batch-executor.js";
import { inputSlots } from "../../src/engine/scheduler/input-slots.js";
import { Duration } from "../../src/engine/time.js";
import type { BatchDescriptor, Block, BlockRange, StreamLog } from "../../src/store/types.js";
import { InThreadRunner } from "../../src/workers/in-thread-runner.js";
import { ServerProcess } from "../support/server-process.js";

type Row = Record<string, unknown>;
interface Frame { seq: number; batchTime: number; window: unknown; rows: Row[] }
interface JobAnswer { status: string; failure: string | null; definition: Row; progress: { pendingBatches: number; lastBatch: { batchTime: number } | null } | null }

const BATCH_MS = 200;
const PARTITIONS = 2;
const STREAMS = ["events", "views", "inbox", "orders"];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Durations scaled to 200 ms batches: 30 s -> 1 s, 1 m -> 2 s, always whole batches, 200 ms to 2 s. */
function scaled(text: string): string {
  const ms = Duration.parse(text)!.ms;
  return `${Math.min(2000, Math.max(BATCH_MS, Math.round(ms / 30 / BATCH_MS) * BATCH_MS))}ms`;
}

function withShortTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withShortTimes);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([field, v]) => [field, ["length", "slide", "gap", "lateness", "ttl", "timeout"].includes(field) && typeof v === "string" ? scaled(v) : withShortTimes(v)]),
  );
}

function matrixJobs(): { name: string; steps: unknown[] }[] {
  const page = readFileSync(new URL("../../docs/operators.md", import.meta.url), "utf8");
  const docs = [...page.matchAll(/```json\n([\s\S]*?)```/g)].map((m, i) => {
    const steps = JSON.parse(`[${m[1]!}]`) as Row[];
    return { name: `doc${i}-${String(steps.at(-1)!.op).toLowerCase()}`, steps };
  });
  const examples = readdirSync(new URL("../../examples", import.meta.url), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      readdirSync(new URL(`../../examples/${d.name}`, import.meta.url))
        .filter((f) => f.endsWith(".json"))
        .map((f) => JSON.parse(readFileSync(new URL(`../../examples/${d.name}/${f}`, import.meta.url), "utf8")) as { name: string; steps: unknown[] }),
    );
  return [...docs, ...examples].map((job) => ({ name: job.name, steps: withShortTimes(job.steps) as unknown[] }));
}

const JOBS = matrixJobs();
const texts = tweets(2000, 5).map((t) => String(t.text));

/** An event with every field the examples read, for user `user`. */
function event(i: number, user: string): Row {
  const now = Date.now();
  return {
    user, customer: user, ad: `ad${i % 3}`, amount: ((i * 37) % 250) + 0.5, country: i % 2 ? "NL" : "DE", n: i % 17,
    text: i % 4 === 0 ? `free cash winner ${texts[i % texts.length]}` : texts[i % texts.length], line: i % 5 === 0 ? `ERROR disk ${i}` : `INFO ok ${i}`,
    item: `item${i % 7}`, time: new Date(now).toISOString(), shop: `s${i % 4}`, word: `w${i % 5}`, page: `/p${i % 3}`,
    ts: now - (i % 3) * 150, spam: i % 4 === 0 ? 1 : 0, id: `e${i}`,
  };
}

/** What the test sent (each request is one block: every stream is keyed by user) and every descriptor it saw. */
class Ledger {
  readonly blocks = new Map<string, Uint8Array>();
  readonly descriptors = new Map<string, Map<number, BatchDescriptor>>();
  private next = 0;

  async round(server: ServerProcess): Promise<void> {
    for (const user of ["u0", "u1", "u2"]) {
      for (const stream of [STREAMS[0]!, STREAMS[1 + (this.next % 3)]!]) {
        const events = Array.from({ length: 1 + (this.next % 4) }, () => event(this.next++, user));
        const res = await server.request<{ blocks: { partition: number; offset: number }[] }>("POST", `/v1/streams/${stream}/events`, events);
        expect(res.status).toBe(202);
        expect(res.body.blocks).toHaveLength(1);
        this.blocks.set(`${stream}:${res.body.blocks[0]!.partition}:${res.body.blocks[0]!.offset}`, new TextEncoder().encode(JSON.stringify(events)));
      }
    }
  }

  /** Collects every job's new descriptors; a server that is down is tried again on the next pass. */
  async collect(server: ServerProcess): Promise<void> {
    await Promise.all(
      JOBS.map(async ({ name }) => {
        const seen = this.descriptors.get(name) ?? new Map<number, BatchDescriptor>();
        this.descriptors.set(name, seen);
        const after = Math.max(-1, ...seen.keys());
        const res = await server.request<{ batches: BatchDescriptor[] }>("GET", `/v1/jobs/${name}/batches?after=${after}&limit=1000`).catch(() => undefined);
        for (const d of res?.body.batches ?? []) seen.set(d.batchTime, d);
      }),
    );
  }

  /** The blocks of a range, as the store would give them. */
  readonly log = {
    read: async (range: BlockRange): Promise<Block[]> =>
      Array.from({ length: range.to - range.from }, (_, i) => {
        const payload = this.blocks.get(`${range.stream}:${range.partition}:${range.from + i}`);
        if (!payload) throw new Error(`no block ${range.stream}:${range.partition}:${range.from + i} was sent`);
        return { offset: range.from + i, count: 0, payload } as unknown as Block;
      }),
  } as unknown as StreamLog;
}

/** The frames the in-thread code gives for `descriptors`, run in order from empty state with no failure. */
async function reference(name: string, definition: Row, descriptors: readonly BatchDescriptor[], log: StreamLog): Promise<Omit<Frame, "seq">[]> {
  const plan = compileJob(definition);
  const slots = inputSlots(plan.inputs.map((stream) => ({ name: stream, partitions: PARTITIONS })));
  const partitions = plan.keyed() ? (plan.reducePartitions ?? PARTITIONS) : 0;
  const runner = new InThreadRunner();
  await runner.deploy({ jobId: name, definition, partitions, history: { since: async () => ({ snapshot: undefined, tasks: [] }) } });
  const executor = new BatchExecutor(name, plan, slots, partitions, runner, log, () => undefined);
  const frames: Omit<Frame, "seq">[] = [];
  for (const descriptor of descriptors) {
    const { output } = await executor.execute(descriptor);
    if (output) frames.push({ batchTime: descriptor.batchTime, window: output.window, rows: output.rows });
  }
  return JSON.parse(JSON.stringify(frames)) as Omit<Frame, "seq">[];
}

let server: ServerProcess | undefined;
afterEach(async () => {
  await server?.dispose();
  server = undefined;
});

/** `restartOn`: SIGKILL the server in the middle and restart it with that many workers. */
async function runMatrix(workers: string, restartOn?: string): Promise<void> {
  const crash = restartOn !== undefined;
  server = await ServerProcess.start({ WORKERS: workers, CHECKPOINT_INTERVAL_MS: "4000", DEFAULT_PARTITIONS: String(PARTITIONS) });
  const s = server;
  for (const stream of STREAMS) expect((await s.request("POST", "/v1/streams", { name: stream, partitions: PARTITIONS, keyField: "user" })).status).toBe(201);
  const ledger = new Ledger();
  let collecting = true;
  // From before the first job is registered: a job's first checkpoint trims its first batches.
  const collector = (async () => {
    while (collecting) {
      await ledger.collect(s);
      await sleep(50);
    }
  })();
  try {
    // The examples read their own streams; here every job reads "events" (and views, inbox or orders).
    for (const job of JOBS) {
      const res = await s.request("POST", "/v1/jobs", { name: job.name, input: "events", batchInterval: `${BATCH_MS}ms`, steps: job.steps });
      expect(res.status, `${job.name}: ${JSON.stringify(res.body)}`).toBe(201);
    }
    for (let round = 0; round < 24; round++) {
      if (crash && round === 12) {
        // The jobs have checkpointed (every 4 s) and run batches since: the restart replays both. The
        // restarted server takes no checkpoint: it recovers and runs its jobs before it answers (on a
        // busy machine for many seconds), and a checkpoint then would trim descriptors the collector
        // has not read yet (those cut just before the crash, and its own first ones).
        await s.restart({ WORKERS: restartOn, CHECKPOINT_INTERVAL_MS: String(3_600_000) });
      }
      await ledger.round(s);
      await sleep(round % 4 === 0 ? 250 : 80);
    }
    // Every job reads past the last event, then stops cutting; what it cut runs to the end.
    const lastSent = Date.now();
    for (const { name } of JOBS) {
      for (;;) {
        const job = await s.requestOk<JobAnswer>("GET", `/v1/jobs/${name}`);
        expect(job.status, `${name}: ${job.failure}`).toBe("running");
        if ((job.progress?.lastBatch?.batchTime ?? 0) > lastSent + BATCH_MS) break;
        await sleep(100);
      }
      await s.requestOk("POST", `/v1/jobs/${name}/pause`);
    }
    for (const { name } of JOBS) while ((await s.requestOk<JobAnswer>("GET", `/v1/jobs/${name}`)).progress!.pendingBatches > 0) await sleep(50);
  } finally {
    collecting = false;
    await collector;
  }
  await ledger.collect(s);

  for (const { name } of JOBS) {
    const job = await s.requestOk<JobAnswer>("GET", `/v1/jobs/${name}`);
    expect([job.status, job.failure], name).toEqual(["paused", null]);
    const descriptors = [...ledger.descriptors.get(name)!.values()].sort((a, b) => a.batchTime - b.batchTime);
    const frames = (await s.requestOk<{ frames: Frame[] }>("GET", `/v1/jobs/${name}/results?from=1&limit=1000`)).frames;
    expect(frames.map((f) => f.seq), name).toEqual(frames.map((_, i) => i + 1));
    const expected = await reference(name, job.definition, descriptors, ledger.log);
    if (compileJob(job.definition).keyed()) {
      // Keyed: each frame depends on every batch before it, so the descriptors seen must be all of
      // them (each is kept until a second checkpoint passes it, 4 s or more, and none is trimmed after
      // a restart): from the streams' start, each batch beginning where the one before ended, one
      // batch interval after it, but for one jump over the downtime of a crash.
      expect(descriptors[0]!.ranges.every((r) => r.from === 0), name).toBe(true);
      const jumps = descriptors.slice(1).filter((d, i) => d.batchTime - descriptors[i]!.batchTime !== BATCH_MS);
      expect(jumps.length, `${name}: batches ${jumps.map((d) => d.batchTime).join(", ")} do not follow the one before`).toBe(crash ? 1 : 0);
      for (let i = 1; i < descriptors.length; i++) expect(descriptors[i]!.ranges.map((r) => r.from), name).toEqual(descriptors[i - 1]!.ranges.map((r) => r.to));
      expect(frames.map(({ seq: _, ...f }) => f), name).toEqual(expected);
    } else {
      // Without a keyed step a batch's frame depends on its own batch alone, and each checkpoint trims
      // every descriptor before it at once: the frames of the batches seen are compared.
      const seen = new Set(descriptors.map((d) => d.batchTime));
      const compared = frames.filter((f) => seen.has(f.batchTime)).map(({ seq: _, ...f }) => f);
      expect(compared.length, name).toBeGreaterThan(frames.length / 2);
      expect(compared, name).toEqual(expected);
    }
  }
}

const runners: Record<string, string> = { "0": "the in-thread runner", "2": "the worker pool" };

describe.each(["0", "2"])("every operator and example job, WORKERS=%s", (workers) => {
  it(`${JOBS.length} jobs register on ${runners[workers]}, run, and give the frames of the in-thread code with no failure`, async () => {
    await runMatrix(workers);
  }, 240_000);

  // Restarted on the other runner, so that each runner recovers what the other one ran.
  const other = workers === "0" ? "2" : "0";
  it(`${JOBS.length} jobs on ${runners[workers]}, SIGKILLed and restarted on ${runners[other]}, give the frames of the in-thread code with no failure`, async () => {
    await runMatrix(workers, other);
  }, 240_000);
});
