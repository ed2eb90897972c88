/**
 * Load shedding for ingest. Accepting events that cannot be processed in time only moves the problem
 * into the jobs' scheduling delay (a probe pushed 118 K events/s for 30 s: every post got 202 while a
 * windowed job fell 13.6 s behind, with no bound). So ingest into a stream answers 503 OVERLOADED with
 * Retry-After, and stores nothing, when:
 *   - the process is under pressure: its event loop lags, or its heap or RSS is past a bound
 *     (measured by @fastify/under-pressure); or
 *   - a running job that reads the stream is behind: its oldest batch waiting to run is older than
 *     `maxJobDelayMs`, or the events already stored for it would take it longer than that to process
 *     at the rate its recent batches ran (a burst is refused before it has become a delay).
 * Reads, subscriptions and job control are never shed, so a user can see and act on what is wrong.
 * Everything acknowledged before is still processed: shedding only refuses new events.
 */
import underPressure from "@fastify/under-pressure";
import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import type { Engine } from "../engine/engine.js";
import { ApiError } from "./errors.js";

export interface SheddingOptions {
  /** Event-loop delay (ms) past which ingest is shed; 0: never. */
  readonly maxEventLoopDelayMs: number;
  /** Heap in use (bytes) past which ingest is shed; 0: never. */
  readonly maxHeapUsedBytes: number;
  /** Resident memory (bytes) past which ingest is shed; 0: never. */
  readonly maxRssBytes: number;
  /** How far behind (ms) a job reading the stream may fall before ingest into it is shed; 0: never. */
  readonly maxJobDelayMs: number;
}

export const DEFAULT_SHEDDING: SheddingOptions = { maxEventLoopDelayMs: 1000, maxHeapUsedBytes: 0, maxRssBytes: 0, maxJobDelayMs: 10_000 };

/** Seconds a shed client is told to wait. */
export const SHED_RETRY_AFTER_SECONDS = 1;

/** Under overload, at most one warning a second, with how many requests were shed since the last. */
const SHED_LOG_INTERVAL_MS = 1000;

/**
 * Says that ingest is being shed, and why, without adding a line per refused request to a server
 * that is already short of time.
 */
export class ShedLog {
  private lastLineAt = -Infinity;
  private unlogged = 0;

  constructor(private readonly now: () => number = Date.now) {}

  shed(log: FastifyBaseLogger, fields: { stream: string; tenant: string; cause: string }): void {
    this.unlogged += 1;
    if (this.now() - this.lastLineAt < SHED_LOG_INTERVAL_MS) return;
    log.warn({ ...fields, shedRequests: this.unlogged }, "ingest shed (503)");
    this.lastLineAt = this.now();
    this.unlogged = 0;
  }
}

/** Registers the process measurements; returns the check the ingest route runs before storing. */
export async function ingestShedding(app: FastifyInstance, options: SheddingOptions): Promise<(engine: Engine, stream: string) => Promise<void>> {
  await app.register(underPressure, {
    maxEventLoopDelay: options.maxEventLoopDelayMs,
    maxHeapUsedBytes: options.maxHeapUsedBytes,
    maxRssBytes: options.maxRssBytes,
    // Measured for ingest only (below): no other route is refused under pressure.
    pressureHandler: () => undefined,
  });
  return async (engine, stream) => {
    if (app.isUnderPressure()) {
      const { eventLoopDelay, heapUsed, rssBytes } = app.memoryUsage();
      // A loop blocked for a whole sampling interval has no samples: its delay reads as Infinity.
      const delay = Number.isFinite(eventLoopDelay) ? `${Math.round(eventLoopDelay)} ms` : "over 1 s";
      throw new ApiError("OVERLOADED", `the server is overloaded (event loop delay ${delay}, heap ${mib(heapUsed)}, RSS ${mib(rssBytes)}) and took none of these events; retry after ${SHED_RETRY_AFTER_SECONDS} s with the same Idempotency-Key`);
    }
    if (options.maxJobDelayMs <= 0) return;
    const behind = (await engine.readerDelays(stream)).filter((r) => r.delayMs > options.maxJobDelayMs);
    if (behind.length > 0) {
      const named = behind.map((r) => `${r.jobId} (${Math.round(r.delayMs)} ms behind, ${r.backlogEvents} events waiting)`).join(", ");
      throw new ApiError("OVERLOADED", `job(s) reading stream "${stream}" are more than ${options.maxJobDelayMs} ms behind: ${named}; none of these events was taken: retry after ${SHED_RETRY_AFTER_SECONDS} s with the same Idempotency-Key`, { behind });
    }
  };
}

function mib(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MiB`;
}
