/**
 * Many clients creating one name at once, over HTTP, on every store: of concurrent registrations of a
 * job, or declarations of a stream, exactly one wins (201) and the rest are told the name is taken
 * (409); concurrent first ingests into a new stream are all stored, into the one stream that was
 * created. A job then counts every event exactly once.
 *
 * Requests go in through Fastify's inject, all in the same tick: every contender's handler starts
 * before any has finished, the hardest case for a check followed by a write (over sockets each request
 * tends to arrive on its own, and an in-memory store never interleaves them).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openEmbeddedStore } from "../../../src/store/embedded/open-embedded-store.js";
import { openMemoryStore } from "../../../src/store/memory/open-memory-store.js";
import { openRedisStore } from "../../../src/store/redis/open-redis-store.js";
import type { Store } from "../../../src/store/types.js";
import type { JobDeployment, TaskRunner } from "../../../src/engine/task-runner.js";
import { InThreadRunner } from "../../../src/workers/in-thread-runner.js";
import { WorkerPool } from "../../../src/workers/pool/worker-pool.js";
import { deleteKeysUnder, freshKeyPrefix } from "../../support/redis-prefix.js";
import { testRedis, type TestRedis } from "../../support/redis-server.js";
import { createTestApp, type TestApp } from "../../support/test-app.js";

const CONTENDERS = 20;

let redis: TestRedis;
beforeAll(async () => {
  redis = await testRedis();
});
afterAll(async () => {
  await redis?.dispose();
});

/** A fresh, empty store of one kind, and how to remove its data once it is closed. */
interface OpenedStore {
  readonly store: Store;
  readonly cleanup: () => Promise<void>;
}

const stores: Record<string, () => Promise<OpenedStore>> = {
  memory: async () => ({ store: openMemoryStore(), cleanup: async () => undefined }),
  async embedded() {
    const dataDir = await mkdtemp(join(tmpdir(), "tributary-creation-"));
    return { store: await openEmbeddedStore({ dataDir }), cleanup: () => rm(dataDir, { recursive: true, force: true }) };
  },
  async redis() {
    const keyPrefix = freshKeyPrefix();
    return { store: await openRedisStore({ url: redis.url, keyPrefix }), cleanup: () => deleteKeysUnder(redis.url, keyPrefix) };
  },
};

const countJob = { name: "clicks-total", input: "clicks", startFrom: "earliest", steps: [{ op: "runningAggregate", aggs: { n: { fn: "count" } } }] };

/** `count` events in requests of `perRequest`, each with its own number in `i`. */
function eventBatches(count: number, perRequest: number): { i: number }[][] {
  return Array.from({ length: Math.ceil(count / perRequest) }, (_, r) => Array.from({ length: Math.min(perRequest, count - r * perRequest) }, (_, k) => ({ i: r * perRequest + k })));
}

function tally(statuses: readonly number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

/** The in-thread runner, except that its first deployment fails (as when a worker cannot take it). */
class FirstDeployFails extends InThreadRunner {
  private failed = false;

  override async deploy(deployment: JobDeployment): Promise<void> {
    if (!this.failed) {
      this.failed = true;
      throw new Error("the worker that was to run this job is gone");
    }
    return super.deploy(deployment);
  }
}

/** The in-thread runner, holding every deployment until the test opens the gate. */
class GatedDeploy extends InThreadRunner {
  private openGate: () => void = () => undefined;
  private readonly gate = new Promise<void>((resolve) => (this.openGate = resolve));

  override async deploy(deployment: JobDeployment): Promise<void> {
    await this.gate;
    return super.deploy(deployment);
  }

  open(): void {
    this.openGate();
  }
}

/** A request through every route, hook and serializer of the app, without a socket. */
interface Answer {
  readonly status: number;
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe.each(Object.keys(stores))("concurrent creation of one name on the %s store", (kind) => {
  let t: TestApp | undefined;
  let opened: OpenedStore | undefined;
  let pool: WorkerPool | undefined;

  async function start(runner: TaskRunner = new InThreadRunner()): Promise<void> {
    opened = await stores[kind]!();
    t = await createTestApp({ store: opened.store, runner });
    await t.app.ready();
  }

  async function send(method: "GET" | "POST" | "DELETE", url: string, payload?: unknown): Promise<Answer> {
    const res = await t!.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
    return { status: res.statusCode, body: res.body === "" ? undefined : res.json() };
  }

  async function expectStatus(status: number, method: "GET" | "POST" | "DELETE", url: string, payload?: unknown): Promise<Answer> {
    const answer = await send(method, url, payload);
    expect(answer.status, `${method} ${url}: ${JSON.stringify(answer.body)}`).toBe(status);
    return answer;
  }

  afterEach(async () => {
    await t?.close();
    await pool?.close();
    await opened?.cleanup();
    t = undefined;
    opened = undefined;
    pool = undefined;
  });

  /** The running count the job reports after the next batch. */
  async function countAfterBatch(jobId: string): Promise<number> {
    await t!.advance(1000);
    const { frames } = (await expectStatus(200, "GET", `/v1/jobs/${jobId}/results`)).body as { frames: { rows: { n: number }[] }[] };
    return frames.at(-1)?.rows[0]?.n ?? 0;
  }

  it.each(["in-thread runner", "worker pool"])(`registers a job once of ${CONTENDERS} concurrent registrations, and it counts every event once, on the %s`, async (runner) => {
    if (runner === "worker pool") pool = await WorkerPool.start({ workers: 1 });
    await start(pool);
    await expectStatus(201, "POST", "/v1/streams", { name: "clicks" });

    const answers = await Promise.all(Array.from({ length: CONTENDERS }, () => send("POST", "/v1/jobs", countJob)));
    expect(tally(answers.map((a) => a.status))).toEqual({ 201: 1, 409: CONTENDERS - 1 });
    for (const refused of answers.filter((a) => a.status === 409)) expect(refused.body.error.code).toBe("JOB_EXISTS");
    expect((await expectStatus(200, "GET", "/v1/jobs")).body.jobs.map((j: { id: string }) => j.id)).toEqual(["clicks-total"]);

    for (const events of eventBatches(500, 100)) await expectStatus(202, "POST", "/v1/streams/clicks/events", events);
    expect(await countAfterBatch("clicks-total")).toBe(500);

    // The name is free again once the job is deleted, and only one of the next contenders takes it.
    await expectStatus(204, "DELETE", "/v1/jobs/clicks-total");
    const again = await Promise.all(Array.from({ length: CONTENDERS }, () => send("POST", "/v1/jobs", countJob)));
    expect(tally(again.map((a) => a.status))).toEqual({ 201: 1, 409: CONTENDERS - 1 });
    expect(await countAfterBatch("clicks-total")).toBe(500);
  });

  it("gives a job's name back when its registration cannot deploy it", async () => {
    await start(new FirstDeployFails());
    await expectStatus(201, "POST", "/v1/streams", { name: "clicks" });
    expect((await send("POST", "/v1/jobs", countJob)).status).toBe(500);
    expect((await expectStatus(200, "GET", "/v1/jobs")).body.jobs).toEqual([]);
    await expectStatus(404, "GET", "/v1/jobs/clicks-total");

    await expectStatus(201, "POST", "/v1/jobs", countJob);
    for (const events of eventBatches(50, 10)) await expectStatus(202, "POST", "/v1/streams/clicks/events", events);
    expect(await countAfterBatch("clicks-total")).toBe(50);
  });

  /** Starts registering the count job on a held runner and resolves once its name is claimed. */
  async function registerHeld(runner: GatedDeploy): Promise<{ registering: Promise<Answer> }> {
    await start(runner);
    await expectStatus(201, "POST", "/v1/streams", { name: "clicks" });
    const registering = send("POST", "/v1/jobs", countJob);
    await expect.poll(() => t!.store.catalog.getJob("clicks-total"), { timeout: 30_000 }).toBeDefined();
    return { registering }; // wrapped: an async function would wait for a promise it returns
  }

  it("pauses a job asked to pause while its registration is still deploying it: it runs no batch until resumed", async () => {
    const runner = new GatedDeploy();
    const { registering } = await registerHeld(runner);
    const pausing = send("POST", "/v1/jobs/clicks-total/pause");
    runner.open();
    expect((await registering).status).toBe(201);
    expect((await pausing).body).toMatchObject({ id: "clicks-total", status: "paused" });

    await expectStatus(202, "POST", "/v1/streams/clicks/events", [{ i: 1 }, { i: 2 }]);
    await t!.advance(3000);
    expect((await expectStatus(200, "GET", "/v1/jobs/clicks-total/results")).body.frames).toEqual([]);
    await expectStatus(200, "POST", "/v1/jobs/clicks-total/resume");
    expect(await countAfterBatch("clicks-total")).toBe(2);
  });

  it(`declares a stream once of ${CONTENDERS} concurrent declarations, as the winner asked`, async () => {
    await start();
    const answers = await Promise.all(Array.from({ length: CONTENDERS }, (_, i) => send("POST", "/v1/streams", { name: "clicks", partitions: 1 + (i % 4) })));
    expect(tally(answers.map((a) => a.status))).toEqual({ 201: 1, 409: CONTENDERS - 1 });
    for (const refused of answers.filter((a) => a.status === 409)) expect(refused.body.error.code).toBe("STREAM_EXISTS");
    const winner = answers.find((a) => a.status === 201)!.body as { partitions: number };
    expect((await expectStatus(200, "GET", "/v1/streams/clicks")).body.partitions).toBe(winner.partitions);
  });

  it(`stores every event of ${CONTENDERS} concurrent first ingests into one stream, also while declarations race them`, async () => {
    await start();
    const batches = eventBatches(CONTENDERS * 25, 25);
    // Declarations of a one-partition stream interleaved with the ingests, which would create two
    // partitions. Whoever creates the stream first decides its shape, and every event goes by it.
    const ingesting = batches.map((events) => send("POST", "/v1/streams/clicks/events", events));
    const declaring = batches.filter((_, i) => i % 2 === 0).map(() => send("POST", "/v1/streams", { name: "clicks", partitions: 1 }));
    const [ingests, declarations] = await Promise.all([Promise.all(ingesting), Promise.all(declaring)]);
    expect(tally(ingests.map((a) => a.status))).toEqual({ 202: CONTENDERS });
    expect(ingests.reduce((n, a) => n + (a.body as { accepted: number }).accepted, 0)).toBe(CONTENDERS * 25);

    const declared = declarations.filter((a) => a.status === 201).length;
    expect(tally(declarations.map((a) => a.status))).toEqual(declared === 1 ? { 201: 1, 409: declarations.length - 1 } : { 409: declarations.length });
    const streams = (await expectStatus(200, "GET", "/v1/streams")).body.streams as { name: string; partitions: number }[];
    expect(streams.map((s) => [s.name, s.partitions])).toEqual([["clicks", declared === 1 ? 1 : 2]]);

    await expectStatus(201, "POST", "/v1/jobs", countJob);
    expect(await countAfterBatch("clicks-total")).toBe(CONTENDERS * 25);
  });

  it(`creates a new stream once of ${CONTENDERS} concurrent first ingests, and no event is lost`, async () => {
    await start();
    const batches = eventBatches(CONTENDERS * 25, 25);
    const answers = await Promise.all(batches.map((events) => send("POST", "/v1/streams/fresh/events", events)));
    expect(tally(answers.map((a) => a.status))).toEqual({ 202: CONTENDERS });
    expect((await expectStatus(200, "GET", "/v1/streams")).body.streams.map((s: { name: string }) => s.name)).toEqual(["fresh"]);

    await expectStatus(201, "POST", "/v1/jobs", { ...countJob, input: "fresh" });
    expect(await countAfterBatch("clicks-total")).toBe(CONTENDERS * 25);
  });
});
