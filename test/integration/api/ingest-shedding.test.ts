/**
 * Load shedding: ingest into a stream answers 503 OVERLOADED (Retry-After, nothing stored) while a job
 * that reads it is too far behind, or while the server's event loop lags; every other route, and
 * ingest into streams no lagging job reads, goes on. Everything acknowledged is still counted.
 */
import supertest from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import type { MapResult, MapTask } from "../../../src/engine/task-runner.js";
import { InThreadRunner } from "../../../src/workers/in-thread-runner.js";
import { createTestApp, type TestApp } from "../../support/test-app.js";

/** Map tasks that take `msPerEvent` of the manual clock's time for each event they handle. */
class TimedRunner extends InThreadRunner {
  constructor(
    private readonly clock: { advance(ms: number): void },
    private readonly msPerEvent: number,
  ) {
    super();
  }

  override async map(task: MapTask): Promise<MapResult> {
    const result = await super.map(task);
    this.clock.advance(result.events * this.msPerEvent);
    return result;
  }
}

/** Runs map tasks only while its gate is open: a job whose batches cannot finish falls behind. */
class GatedRunner extends InThreadRunner {
  private opened!: () => void;
  private gate = new Promise<void>((resolve) => (this.opened = resolve));

  open(): void {
    this.opened();
  }

  override async map(task: MapTask): Promise<MapResult> {
    await this.gate;
    return super.map(task);
  }
}

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const countJob = { name: "clicks-total", input: "clicks", steps: [{ op: "runningAggregate", aggs: { n: { fn: "count" } } }] };

describe("ingest shedding", () => {
  it("refuses ingest into a stream whose reader is behind, and only there, until it catches up; what was acknowledged is counted once", async () => {
    const runner = new GatedRunner();
    t = await createTestApp({ runner, shedding: { maxEventLoopDelayMs: 0, maxJobDelayMs: 3000 } });
    const http = supertest(t.app.server);
    await t.app.ready();
    for (const name of ["clicks", "other"]) await http.post("/v1/streams").send({ name }).expect(201);
    await http.post("/v1/jobs").send(countJob).expect(201);
    await http.post("/v1/streams/clicks/events").send([{ a: 1 }, { a: 2 }]).expect(202);

    // Five batches fall due; the first cannot finish, so the oldest unfinished one is 4 s old.
    t.clock.advance(5000);
    const shed = await http.post("/v1/streams/clicks/events").set("idempotency-key", "late-1").send([{ a: 3 }]);
    expect(shed.status).toBe(503);
    expect(shed.headers["retry-after"]).toBe("1");
    expect(shed.body.error.code).toBe("OVERLOADED");
    expect(shed.body.error.message).toMatch(/clicks-total \(4000 ms behind, 2 events waiting\)/);
    expect(shed.body.error.details.behind).toEqual([{ jobId: "clicks-total", delayMs: 4000, backlogEvents: 2 }]);
    // Other streams, reads and job control are not shed.
    await http.post("/v1/streams/other/events").send([{ a: 1 }]).expect(202);
    await http.get("/v1/jobs/clicks-total").expect(200);
    await http.get("/v1/streams").expect(200);

    runner.open();
    await t.engine.whenIdle("clicks-total");
    await http.post("/v1/streams/clicks/events").set("idempotency-key", "late-1").send([{ a: 3 }]).expect(202);
    await t.advance(1000);
    const frames = (await http.get("/v1/jobs/clicks-total/results?from=1&limit=100").expect(200)).body.frames;
    expect(frames.at(-1).rows).toEqual([{ n: 3 }]);
  });

  it("refuses a burst the reader would take longer than the bound to process, before any batch is late", async () => {
    const clock = { advance: (ms: number) => t!.clock.advance(ms) };
    t = await createTestApp({ runner: new TimedRunner(clock, 1), shedding: { maxEventLoopDelayMs: 0, maxJobDelayMs: 3000 } });
    const http = supertest(t.app.server);
    await t.app.ready();
    await http.post("/v1/streams").send({ name: "clicks", partitions: 1 }).expect(201);
    await http.post("/v1/jobs").send(countJob).expect(201);
    // A batch of 100 events takes 100 ms: the job handles an event a millisecond.
    await http.post("/v1/streams/clicks/events").send(Array.from({ length: 100 }, (_, a) => ({ a }))).expect(202);
    await t.advance(1000);
    expect((await http.get("/v1/jobs/clicks-total").expect(200)).body.progress.delayMs).toBe(0);
    // 5,000 events are 5 s of work: more than the 3 s bound, although no batch is late yet.
    await http.post("/v1/streams/clicks/events").send(Array.from({ length: 5000 }, (_, a) => ({ a }))).expect(202);
    const shed = await http.post("/v1/streams/clicks/events").send([{ a: 1 }]);
    expect(shed.status).toBe(503);
    expect(shed.body.error.details.behind).toEqual([{ jobId: "clicks-total", delayMs: 5000, backlogEvents: 5000 }]);
    // Once the job has worked through them, ingest is taken again and every acknowledged event counted.
    await t.advance(1000);
    expect((await http.get("/v1/jobs/clicks-total").expect(200)).body.progress.backlogEvents).toBe(0);
    await http.post("/v1/streams/clicks/events").send([{ a: 1 }]).expect(202);
    await t.advance(1000);
    const frames = (await http.get("/v1/jobs/clicks-total/results?from=1&limit=100").expect(200)).body.frames;
    expect(frames.at(-1).rows).toEqual([{ n: 5101 }]);
  });

  it("refuses ingest while the event loop lags, with a message that says so, and serves reads", async () => {
    t = await createTestApp({ shedding: { maxEventLoopDelayMs: 20, maxJobDelayMs: 0 } });
    const http = supertest(t.app.server);
    await t.app.ready();
    await http.post("/v1/streams").send({ name: "clicks" }).expect(201);
    let shed: supertest.Response | undefined;
    // Block the event loop for longer than the sampler's interval (1 s): its next sample, taken as
    // soon as the loop turns again and before the request below, averages the lag over the block.
    for (let attempt = 0; attempt < 8 && !shed; attempt++) {
      const until = Date.now() + 2500;
      while (Date.now() < until) {
        // busy: the event loop cannot turn
      }
      await new Promise((r) => setTimeout(r, 20));
      const res = await http.post("/v1/streams/clicks/events").send([{ a: 1 }]);
      if (res.status === 503) shed = res;
      else expect(res.status).toBe(202);
    }
    expect(shed?.body.error.code).toBe("OVERLOADED");
    expect(shed?.body.error.message, shed?.body.error.message).toMatch(/overloaded \(event loop delay (\d+ ms|over 1 s), heap \d+ MiB/);
    expect(shed?.headers["retry-after"]).toBe("1");
    await http.get("/v1/streams/clicks").expect(200);
  });
});
