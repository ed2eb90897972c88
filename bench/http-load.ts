/**
 * Pushes NDJSON bodies of 1,000 events to a stream at an offered rate from several concurrent
 * keep-alive clients, each with one request in flight. Request i is due at start + i·gap; a client
 * that falls behind sends at once, so a server that cannot keep up shows as an achieved rate below
 * the offered one. Bounded in time: nothing is sent after the step's end.
 */
import http from "node:http";
import { sleep } from "./stats.js";

export interface Ack {
  /** Date.now() when the 202 arrived. */
  readonly at: number;
  /** Which body was sent. */
  readonly body: number;
}

export interface LoadOutcome {
  readonly acks: Ack[];
  /** Bodies whose request got no HTTP answer (a timeout, a dropped connection): stored or not, unknown. */
  readonly unanswered: number[];
  readonly failures: number;
  readonly lastFailure?: string;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly achievedRecordsPerSec: number;
}

export interface LoadStep {
  readonly url: string;
  readonly stream: string;
  readonly bodies: readonly Buffer[];
  readonly recordsPerBody: number;
  readonly offeredRecordsPerSec: number;
  readonly durationMs: number;
  readonly clients: number;
}

function post(agent: http.Agent, url: URL, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", agent, headers: { "content-type": "application/x-ndjson", "content-length": body.length }, timeout: 30_000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("no answer in 30 s")));
    req.on("error", reject);
    req.end(body);
  });
}

export async function pushAtRate(step: LoadStep): Promise<LoadOutcome> {
  const url = new URL(`${step.url}/v1/streams/${encodeURIComponent(step.stream)}/events`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: step.clients });
  const gapMs = (1000 * step.recordsPerBody) / step.offeredRecordsPerSec;
  const acks: Ack[] = [];
  const unanswered: number[] = [];
  let failures = 0;
  let lastFailure: string | undefined;
  let next = 0;
  const startedAt = Date.now();
  const endsAt = startedAt + step.durationMs;
  const client = async () => {
    for (;;) {
      const i = next++;
      const due = startedAt + i * gapMs;
      if (due >= endsAt) return;
      if (due > Date.now() + 1) await sleep(due - Date.now());
      const body = i % step.bodies.length;
      try {
        const status = await post(agent, url, step.bodies[body]!);
        if (status === 202) acks.push({ at: Date.now(), body });
        else {
          failures++;
          lastFailure = `HTTP ${status}`;
        }
      } catch (error) {
        unanswered.push(body);
        failures++;
        lastFailure = (error as Error).message;
        await sleep(50);
      }
      if (Date.now() >= endsAt) return;
    }
  };
  await Promise.all(Array.from({ length: step.clients }, client));
  const endedAt = Date.now();
  agent.destroy();
  const achievedRecordsPerSec = (acks.length * step.recordsPerBody * 1000) / Math.max(1, endedAt - startedAt);
  return { acks, unanswered, failures, ...(lastFailure ? { lastFailure } : {}), startedAt, endedAt, achievedRecordsPerSec };
}
