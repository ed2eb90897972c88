/**
 * What an operator reads in the log about jobs: registered, paused, resumed, deleted, failed (with its
 * cause) and recovered (from which checkpoint, how many batches replayed); a subscriber dropped and
 * why; ingest shed with 503. Each appears once, with its fields.
 */
import type { AddressInfo } from "node:net";
import supertest from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import type { MapResult, MapTask } from "../../../src/engine/task-runner.js";
import { InThreadRunner } from "../../../src/workers/in-thread-runner.js";
import { captureLog, INFO, WARN } from "../../support/log-lines.js";
import { createTestApp, type TestApp } from "../../support/test-app.js";
import { LiveClient } from "../../support/ws-client.js";

const apps: TestApp[] = [];
afterEach(async () => {
  for (const t of apps.splice(0).reverse()) await t.close();
});

async function start(options: Parameters<typeof createTestApp>[0]) {
  const t = await createTestApp(options);
  apps.push(t);
  await t.app.ready();
  return { t, http: supertest(t.app.server) };
}

const countJob = (name: string) => ({ name, input: "clicks", steps: [{ op: "keyBy", key: "user" }, { op: "runningAggregate", aggs: { n: { fn: "count" } } }] });

/** Fails every map task of the job named `failing`: a job that cannot go on. */
class FailingRunner extends InThreadRunner {
  override async map(task: MapTask): Promise<MapResult> {
    if (task.jobId === "failing") throw new Error("the disk under partition 0 is on fire");
    return super.map(task);
  }
}

/** Runs map tasks only once opened: a job whose batches cannot finish falls behind. */
class GatedRunner extends InThreadRunner {
  private opened!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.opened = resolve));
  open(): void {
    this.opened();
  }
  override async map(task: MapTask): Promise<MapResult> {
    await this.gate;
    return super.map(task);
  }
}

describe("job events in the log", () => {
  it("says once each that a job was registered, paused, resumed, failed with its cause, and deleted", async () => {
    const log = captureLog();
    const { t, http } = await start({ logger: log.logger, runner: new FailingRunner() });
    await http.post("/v1/streams").send({ name: "clicks" }).expect(201);
    await http.post("/v1/jobs").send(countJob("counts")).expect(201);
    await http.post("/v1/jobs/counts/pause").expect(200);
    await http.post("/v1/jobs/counts/resume").expect(200);
    await http.post("/v1/jobs").send(countJob("failing")).expect(201);
    await http.post("/v1/streams/clicks/events").send([{ user: "user-value-not-for-logs" }]).expect(202);
    await t.advance(1000);
    await log.until("job failed");
    await http.delete("/v1/jobs/counts").expect(204);

    expect(log.named("job registered")).toEqual([
      expect.objectContaining({ level: INFO, job: "counts", inputs: ["clicks"], partitions: 2, startFrom: "latest" }),
      expect.objectContaining({ level: INFO, job: "failing", inputs: ["clicks"] }),
    ]);
    expect(log.named("job paused")).toEqual([expect.objectContaining({ level: INFO, job: "counts" })]);
    expect(log.named("job resumed")).toEqual([expect.objectContaining({ level: INFO, job: "counts" })]);
    expect(log.named("job failed")).toEqual([expect.objectContaining({ level: WARN, job: "failing", cause: expect.stringContaining("the disk under partition 0 is on fire") })]);
    expect(log.named("job deleted")).toEqual([expect.objectContaining({ level: INFO, job: "counts" })]);
    expect(log.text()).not.toContain("user-value-not-for-logs"); // events never reach the log
  });

  it("says once that a job was recovered, from which checkpoint and with how many batches replayed", async () => {
    const first = await start({});
    await first.http.post("/v1/streams").send({ name: "clicks" }).expect(201);
    await first.http.post("/v1/jobs").send(countJob("counts")).expect(201);
    for (let i = 0; i < 13; i++) {
      await first.http.post("/v1/streams/clicks/events").send([{ user: `u${i % 3}` }]).expect(202);
      await first.t.advance(1000);
    }
    // The first server stops without a word (a crash); a second one opens the same store.
    const checkpoints = await first.t.store.checkpoints.listComplete("counts");
    const newest = Math.max(...checkpoints);
    const since = await first.t.store.batches.list("counts", newest, 1000);
    expect(since.length).toBeGreaterThan(0);

    const log = captureLog();
    await start({ logger: log.logger, store: first.t.store });
    expect(log.named("job recovered")).toEqual([expect.objectContaining({ level: INFO, job: "counts", status: "running", checkpoint: newest, batchesReplayed: since.length })]);
  });

  it("says why a live subscriber was dropped", async () => {
    const log = captureLog();
    const { t, http } = await start({ logger: log.logger, live: { maxSubscriberBufferBytes: 256 * 1024 } });
    await t.app.listen({ port: 0, host: "127.0.0.1" });
    await http.post("/v1/streams").send({ name: "words" }).expect(201);
    await http.post("/v1/jobs").send({ name: "totals", input: "words", steps: [{ op: "keyBy", key: "w" }, { op: "runningAggregate", aggs: { count: { fn: "count" } } }] }).expect(201);
    const client = new LiveClient(`ws://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/v1/jobs/totals/results/live`);
    try {
      await client.until(() => client.messages.length >= 1, 30_000, "hello");
      // The client stops reading; every batch re-sends 20,000 running totals to it.
      (client.socket as unknown as { _socket: { pause(): void } })._socket.pause();
      await http.post("/v1/streams/words/events").send(Array.from({ length: 20_000 }, (_, i) => ({ w: `word-${i}` }))).expect(202);
      for (let i = 0; i < 60 && log.named("subscriber dropped").length === 0; i++) await t.advance(1000);
      expect(log.named("subscriber dropped")).toEqual([
        expect.objectContaining({ level: WARN, job: "totals", reason: "fell behind", maxSubscriberBufferBytes: 256 * 1024, pendingBytes: expect.any(Number), reqId: expect.any(String) }),
      ]);
    } finally {
      client.close();
    }
  });

  it("says that ingest was shed with 503, and why", async () => {
    const log = captureLog();
    const runner = new GatedRunner();
    const { t, http } = await start({ logger: log.logger, runner, shedding: { maxEventLoopDelayMs: 0, maxJobDelayMs: 3000 } });
    await http.post("/v1/streams").send({ name: "clicks" }).expect(201);
    await http.post("/v1/jobs").send(countJob("counts")).expect(201);
    await http.post("/v1/streams/clicks/events").send([{ user: "ann" }]).expect(202);
    // Five batches fall due; the first cannot finish, so the oldest unfinished one is 4 s old.
    t.clock.advance(5000);
    try {
      for (let i = 0; i < 3; i++) expect((await http.post("/v1/streams/clicks/events").send([{ user: "ann" }])).status).toBe(503);
      // The first refusal is told at once (how many follow in a second: test/unit/api/shed-log.test.ts).
      expect(log.named("ingest shed (503)")[0]).toMatchObject({ level: WARN, stream: "clicks", tenant: "default", shedRequests: 1, cause: expect.stringMatching(/reading stream "clicks" are more than 3000 ms behind: counts \(\d+ ms behind/) });
    } finally {
      runner.open();
    }
  });
});
