/**
 * The data a fuzz run works against: a plain stream "s", a stream "k" with key, event-time and id
 * fields, and a job "j" on "s" with results, put back whenever a fuzzed request (rightly) deleted them.
 */
import type { TestApp } from "../test-app.js";
import { withinBound } from "./harness.js";

export const FIXTURE_JOB = {
  name: "j",
  input: "s",
  batchInterval: "1s",
  steps: [{ op: "keyBy", key: "user" }, { op: "window", length: "2s", slide: "1s" }, { op: "aggregate", aggs: { count: { fn: "count" } } }],
};

export async function restoreFixture(t: TestApp): Promise<void> {
  const names = new Set((await t.engine.listStreams()).map((s) => s.name));
  if (!names.has("s")) await t.engine.declareStream({ name: "s", partitions: 2 });
  if (!names.has("k")) await t.engine.declareStream({ name: "k", partitions: 3, keyField: "user", eventTimeField: "ts", idField: "id" });
  if (!(await t.engine.listJobs()).some((j) => j.id === "j")) {
    await t.engine.registerJob(FIXTURE_JOB);
    await t.engine.ingest("s", [{ user: "ann" }, { user: "bob" }, { user: "ann" }]);
    await runBatches(t);
  }
}

/** Runs the batches that fall due in the next second, and checks that no job failed on what it read. */
export async function runBatches(t: TestApp): Promise<void> {
  await withinBound("a batch of every job", t.advance(1000));
  const failed = (await t.engine.listJobs()).filter((j) => j.status === "failed");
  if (failed.length > 0) throw new Error(`a job failed on fuzzed input: ${JSON.stringify(failed.map((j) => ({ id: j.id, failure: (j as { failure?: unknown }).failure })))}`);
}
