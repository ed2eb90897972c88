/**
 * For tests of what one job's cost does to the others: a job whose filter costs tens of milliseconds
 * a row (well within the per-row budget, so hundreds of rows make a task of many seconds), a cheap
 * count beside it, and a test app on a pool of two workers, closed after each test.
 */
import { afterEach } from "vitest";
import { WorkerPool } from "../../src/workers/pool/worker-pool.js";
import { createTestApp, type TestApp } from "./test-app.js";

export const costlyJob = { name: "slow", input: "lists", steps: [{ op: "filter", where: "size(xs.map(a, xs.map(b, a + b))) > 0" }, { op: "aggregate", aggs: { n: { fn: "count" } } }] };
export const countJob = { name: "healthy", input: "clicks", steps: [{ op: "keyBy", key: "user" }, { op: "runningAggregate", aggs: { n: { fn: "count" } } }] };

/** `n` events for costlyJob, each with a 100-element list. */
export function costlyRows(n: number): { xs: number[] }[] {
  const xs = Array.from({ length: 100 }, (_, i) => i % 10);
  return Array.from({ length: n }, () => ({ xs }));
}

/** Starts an app on a fresh pool of two workers (no standby); both are closed after each test. */
export function poolAppsClosedAfterEach(): () => Promise<{ t: TestApp; pool: WorkerPool }> {
  let t: TestApp | undefined;
  let pool: WorkerPool | undefined;
  afterEach(async () => {
    await t?.close();
    await pool?.close();
    t = undefined;
    pool = undefined;
  });
  return async () => {
    pool = await WorkerPool.start({ workers: 2, standbyWorkers: 0 });
    t = await createTestApp({ runner: pool });
    await t.app.ready();
    return { t, pool };
  };
}
