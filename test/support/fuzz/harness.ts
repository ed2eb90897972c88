/**
 * Runs a fuzz property and checks what every answer must be: never a 5xx, never slower than a
 * generous bound, a 4xx always in the catalogue's error shape, and a refused request changing nothing.
 * Each property logs how many cases it tried ("fuzz: ingest: 600 cases, 0 failures").
 */
import fc from "fast-check";
import type { LightMyRequestResponse } from "fastify";
import type { TestApp } from "../test-app.js";

/** Cases per property: the test's default, or FUZZ_RUNS to search longer (e.g. FUZZ_RUNS=50000). */
export function fuzzRuns(defaultRuns: number): number {
  const runs = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(runs) && runs > 0 ? runs : defaultRuns;
}

/** How long any one answer may take, however busy the machine: far past a healthy server's time. */
export const ANSWER_BOUND_MS = 20_000;

/**
 * Wall time one property may search for (FUZZ_TIME_LIMIT_MS, default 40 s): on a machine far busier
 * than usual it tries fewer cases, and says so, rather than failing the suite on its deadline.
 */
const TIME_LIMIT_MS = Number(process.env.FUZZ_TIME_LIMIT_MS) || 40_000;

/** A fuzz test's own timeout: its property's time limit, plus time to shrink a counterexample and check health. */
export const FUZZ_TEST_TIMEOUT_MS = TIME_LIMIT_MS + 80_000;

/** Checks `property` on `runs` random cases (FUZZ_SEED replays a run); throws the shrunk counterexample. */
export async function fuzz<T>(name: string, arbitrary: fc.Arbitrary<T>, property: (value: T) => Promise<void>, runs: number): Promise<void> {
  const seed = Number(process.env.FUZZ_SEED) || Math.floor(Math.random() * 2 ** 31);
  let firstFailure = true;
  const reported = async (value: T) => {
    try {
      await property(value);
    } catch (error) {
      // Shrinking a hang can take a while: say at once what failed.
      if (firstFailure) console.log(`fuzz: ${name}: a case failed, shrinking it: ${(error as Error).message.slice(0, 500)}\n${fc.stringify(value).slice(0, 2000)}`);
      firstFailure = false;
      throw error;
    }
  };
  const details = await fc.check(fc.asyncProperty(arbitrary, reported), { numRuns: runs, seed, includeErrorInReport: true, interruptAfterTimeLimit: TIME_LIMIT_MS });
  const stopped = details.interrupted ? `, stopped at the ${TIME_LIMIT_MS} ms time limit` : "";
  console.log(`fuzz: ${name}: ${details.numRuns} cases, ${details.failed ? 1 : 0} failures (FUZZ_SEED=${seed}${stopped})`);
  if (details.failed) throw new Error(fc.defaultReportMessage(details));
}

/** Resolves as `promise` does, or rejects when it takes longer than {@link ANSWER_BOUND_MS}. */
export async function withinBound<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ANSWER_BOUND_MS} ms`)), ANSWER_BOUND_MS);
  });
  try {
    return await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** Everything a request could change that a refused one must leave alone. */
export async function snapshot(t: TestApp): Promise<string> {
  const streams = await t.engine.listStreams();
  const blocks = await Promise.all(
    streams.map(async (s) => Promise.all(Array.from({ length: s.partitions }, (_, p) => t.store.streams.endOffset(s.name, p)))),
  );
  const jobs = (await t.engine.listJobs()).map((j) => ({ id: j.id, status: j.status }));
  return JSON.stringify({ streams, blocks, jobs });
}

/** A request as the fuzz suite sends it. */
export interface FuzzRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/**
 * Sends a request and checks its answer: not a 5xx, within the bound, a 4xx with a non-empty
 * `{"error": {"code", "message"}}`, and for a 4xx the server's data as it was.
 */
export async function sendChecked(t: TestApp, request: FuzzRequest): Promise<LightMyRequestResponse> {
  const what = `${request.method} ${request.url}`;
  const before = await snapshot(t);
  const res = await withinBound(what, t.app.inject({ method: request.method as "GET", url: request.url, headers: request.headers, ...(request.body === undefined ? {} : { payload: request.body }) }));
  if (res.statusCode >= 500) throw new Error(`${what} answered ${res.statusCode}: ${res.body.slice(0, 500)}`);
  if (res.statusCode >= 400) {
    if (request.method !== "HEAD") checkErrorShape(what, res);
    const after = await snapshot(t);
    if (after !== before) throw new Error(`${what} was refused with ${res.statusCode} but changed the server's data:\nbefore ${before}\nafter  ${after}`);
  }
  return res;
}

export function checkErrorShape(what: string, res: LightMyRequestResponse): void {
  let body: { error?: { code?: unknown; message?: unknown } };
  try {
    body = JSON.parse(res.body) as typeof body;
  } catch {
    throw new Error(`${what} answered ${res.statusCode} with a body that is not JSON: ${res.body.slice(0, 200)}`);
  }
  const error = body.error;
  if (typeof error?.code !== "string" || error.code === "" || typeof error.message !== "string" || error.message.trim() === "") {
    throw new Error(`${what} answered ${res.statusCode} without {"error": {"code", "message"}}: ${res.body.slice(0, 200)}`);
  }
}

/** /healthz answers 200: the server came through the run whole. */
export async function expectHealthy(t: TestApp): Promise<void> {
  const res = await withinBound("GET /healthz", t.app.inject({ method: "GET", url: "/healthz" }));
  if (res.statusCode !== 200) throw new Error(`GET /healthz answered ${res.statusCode} after the fuzz run: ${res.body}`);
}
