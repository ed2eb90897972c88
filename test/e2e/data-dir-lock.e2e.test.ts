/**
 * One server per data directory: a second Tributary started on a directory a running one holds exits 1
 * at start-up, saying which directory, which PID holds it and what to do, and the first keeps serving,
 * its data untouched. Once the first is SIGKILLed, the same second server starts on that directory.
 */
import { afterAll, describe, expect, it } from "vitest";
import { ServerProcess } from "../support/server-process.js";

const ENV = { WORKERS: "1", STANDBY_WORKERS: "0", CHECKPOINT_INTERVAL_MS: "500" };
const job = { name: "count", input: "clicks", batchInterval: "100ms", startFrom: "earliest", steps: [{ op: "runningAggregate", aggs: { n: { fn: "count" } } }] };

let first: ServerProcess | undefined;
let second: ServerProcess | undefined;
afterAll(async () => {
  await second?.dispose();
  await first?.dispose();
});

async function ingest(server: ServerProcess, from: number, count: number): Promise<void> {
  const events = Array.from({ length: count }, (_, i) => ({ i: from + i }));
  expect((await server.request("POST", "/v1/streams/clicks/events", events)).status).toBe(202);
}

/** Waits until the job's newest result counts `n` events (it may take a while on a busy machine). */
async function untilCounted(server: ServerProcess, n: number): Promise<void> {
  let seen: number | undefined;
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; ) {
    const page = await server.requestOk<{ frames: { rows: { n: number }[] }[] }>("GET", "/v1/jobs/count/results?last=1");
    seen = page.frames.at(-1)?.rows[0]?.n;
    if (seen === n) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the count job never counted ${n} events (last seen ${seen})`);
}

describe("two servers on one data directory", () => {
  it("the second exits 1 naming the directory, the holder's PID and the fix; the first keeps serving; after the first dies the second starts", async () => {
    first = await ServerProcess.start(ENV);
    await first.requestOk("POST", "/v1/streams", { name: "clicks", partitions: 2 });
    await first.requestOk("POST", "/v1/jobs", job);
    await ingest(first, 0, 10);
    await untilCounted(first, 10);

    second = await ServerProcess.on(first.dataDir, ENV);
    const refusal = await second.launch().then(
      () => undefined,
      (error: unknown) => (error as Error).message,
    );
    expect(refusal).toBeDefined();
    expect(refusal).toContain("server exited with 1");
    expect(refusal).toContain(`the data directory ${first.dataDir} is in use by another Tributary process (pid ${first.pid}`);
    expect(refusal).toContain("stop that process, or start this one with another DATA_DIR");

    // The first server is untouched: still ready, still ingesting and counting.
    expect((await first.request("GET", "/readyz")).status).toBe(200);
    await ingest(first, 10, 5);
    await untilCounted(first, 15);

    // A SIGKILLed holder leaves its lock file behind; it does not block the next server.
    await first.kill();
    await second.launch();
    await untilCounted(second, 15);
    await ingest(second, 15, 5);
    await untilCounted(second, 20);
  });
});
