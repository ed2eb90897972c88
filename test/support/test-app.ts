/**
 * An app on the in-memory store (or one the test opens) and a manual clock, so a test decides exactly
 * when each batch runs.
 */
import type { FastifyInstance } from "fastify";
import { buildApp, type AppOptions } from "../../src/api/app.js";
import { ManualClock } from "../../src/engine/clock.js";
import { createEngine, type Engine } from "../../src/engine/engine.js";
import { createMetrics, type Metrics } from "../../src/metrics/metrics.js";
import { openMemoryStore } from "../../src/store/memory/open-memory-store.js";
import type { Store } from "../../src/store/types.js";
import type { TaskRunner } from "../../src/engine/task-runner.js";
import type { IngestEncoder } from "../../src/engine/ingest-encoder.js";
import { InThreadRunner } from "../../src/workers/in-thread-runner.js";

export interface TestApp {
  app: FastifyInstance;
  engine: Engine;
  store: Store;
  clock: ManualClock;
  metrics: Metrics;
  /** Moves the clock by `ms` and waits until every job has processed the batches that fell due. */
  advance(ms: number): Promise<void>;
  close(): Promise<void>;
}

export async function createTestApp(options: Partial<AppOptions> & { start?: number; runner?: TaskRunner; store?: Store; defaultMetrics?: boolean; ingestEncoder?: IngestEncoder } = {}): Promise<TestApp> {
  const store = options.store ?? openMemoryStore();
  const clock = new ManualClock(options.start ?? 1_000_000);
  // A test that gives the worker pool a registry hands the same one in here.
  const metrics = options.metrics ?? createMetrics({ defaultMetrics: options.defaultMetrics ?? false });
  // A logger the test made (createLogger) hears the engine's job and store events too.
  const log = typeof options.logger === "object" && "child" in options.logger ? options.logger : undefined;
  const engine = createEngine({ store, runner: options.runner ?? new InThreadRunner(), clock, metrics, defaultPartitions: 2, log, ...(options.ingestEncoder ? { ingestEncoder: options.ingestEncoder } : {}) });
  // Shedding is off unless a test asks for it (see server-process.ts).
  const app = await buildApp({ shedding: { maxEventLoopDelayMs: 0, maxJobDelayMs: 0 }, ...options, engine, metrics });
  await engine.start();
  return {
    app,
    engine,
    store,
    clock,
    metrics,
    async advance(ms) {
      clock.advance(ms);
      for (const job of await engine.listJobs()) await engine.whenIdle(job.id);
    },
    async close() {
      await app.close();
      await engine.stop();
      await store.close();
    },
  };
}
