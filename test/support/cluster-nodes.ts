/**
 * What the end-to-end tests of crashes and clusters share: a subscriber that follows one job on one node across that
 * node's deaths, the cluster as GET /v1/cluster shows it (and waiting for it to get somewhere), ingest
 * retried with its Idempotency-Key through whichever node is up, and the word counts to expect.
 */
import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import type { ServerProcess } from "./server-process.js";
import { LiveClient } from "./ws-client.js";

export type Row = Record<string, unknown>;

export interface Frame {
  readonly seq: number;
  readonly rows: Row[];
}

export interface ClusterView {
  /** The node that answered. */
  readonly node: string;
  readonly nodes: { id: string; jobs: number }[];
  readonly jobs: { id: string; node: string | null; epoch: number | null }[];
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Words of each event's `text`, counted. */
export function countWords(events: readonly Row[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of events) for (const w of String(e.text).split(" ")) if (w) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}

/** A running count of every word, per batch: the job each cluster test registers under many names. */
export function wordTotalsJob(name: string): unknown {
  return {
    name,
    input: "tweets",
    batchInterval: "250ms",
    steps: [{ op: "flatMap", expr: "text.split(' ')", as: "word" }, { op: "keyBy", key: "word" }, { op: "runningAggregate", aggs: { count: { fn: "count" } } }],
  };
}

/** A subscriber on one node that reconnects after every disconnect, resuming after the last seq it saw. */
export class ResumingSubscriber {
  readonly frames: Frame[] = [];
  private stopped = false;
  private client: LiveClient | undefined;

  constructor(
    private readonly node: ServerProcess,
    readonly jobId: string,
  ) {
    void this.loop();
  }

  get last(): Row[] {
    return this.frames.at(-1)?.rows ?? [];
  }

  /** The sum of the counts in the newest frame. */
  get total(): number {
    return this.last.reduce((n, row) => n + Number(row.count), 0);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const from = (this.frames.at(-1)?.seq ?? 0) + 1;
      const client = new LiveClient(`${this.node.wsUrl}/v1/jobs/${this.jobId}/results/live?from=${from}`);
      this.client = client;
      let seen = 0;
      while (!this.stopped && client.closed === undefined) {
        await client.until(() => client.results.length > seen || client.closed !== undefined, 60_000).catch(() => undefined);
        for (const frame of client.results.slice(seen)) this.frames.push({ seq: frame.seq!, rows: frame.rows as Row[] });
        seen = client.results.length;
      }
      client.close();
      await sleep(100);
    }
  }

  stop(): void {
    this.stopped = true;
    this.client?.close();
  }
}

export async function clusterView(node: ServerProcess): Promise<ClusterView> {
  return node.requestOk<ClusterView>("GET", "/v1/cluster");
}

/** Waits until `ok` holds for the cluster as `node` sees it; returns that view. */
export async function clusterWhere(node: ServerProcess, ok: (view: ClusterView) => boolean, what: string): Promise<ClusterView> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const view = await clusterView(node).catch(() => undefined);
    if (view && ok(view)) return view;
    if (Date.now() > deadline) throw new Error(`the cluster never got to: ${what}; last seen ${JSON.stringify(view)}`);
    await sleep(100);
  }
}

/**
 * Sends one request through the first node that acknowledges it, retrying with the same
 * Idempotency-Key; resolves with how many attempts were refused or went to a node that was down.
 */
export async function ingestOnce(through: readonly ServerProcess[], events: Row[], start: number): Promise<number> {
  const key = randomUUID();
  let refused = 0;
  for (let attempt = 0; ; attempt++) {
    if (attempt > 600) throw new Error("a request was never acknowledged");
    const node = through[(start + attempt) % through.length]!;
    try {
      const res = await node.request("POST", "/v1/streams/tweets/events", events, { "idempotency-key": key });
      if (res.status === 202) return refused;
    } catch {
      // that node is down: the next one takes the same request
    }
    refused++;
    await sleep(50);
  }
}

/**
 * Waits (up to two minutes) until every subscriber's newest frame counts every acknowledged event,
 * then holds the cluster tests' promise: every subscriber, on every node, ends with totals equal to a
 * recount of the acknowledged events, saw every seq once from 1, and the subscribers of one job saw
 * the same frames, frame by frame.
 */
export async function expectEveryEventOnce(subscribers: readonly ResumingSubscriber[], acknowledged: readonly Row[]): Promise<void> {
  const expected = countWords(acknowledged);
  const expectedTotal = [...expected.values()].reduce((n, v) => n + v, 0);
  const deadline = Date.now() + 120_000;
  while (subscribers.some((s) => s.total !== expectedTotal) && Date.now() < deadline) await sleep(200);
  for (const s of subscribers) s.stop();
  for (const s of subscribers) {
    expect(new Map(s.last.map((row) => [String(row.key), Number(row.count)])), `${s.jobId} on a node`).toEqual(expected);
    expect(s.frames.map((f) => f.seq), s.jobId).toEqual(Array.from({ length: s.frames.length }, (_, i) => i + 1));
  }
  for (const name of new Set(subscribers.map((s) => s.jobId))) {
    const views = subscribers.filter((s) => s.jobId === name);
    const shortest = Math.min(...views.map((s) => s.frames.length));
    expect(shortest, name).toBeGreaterThan(5);
    for (const view of views.slice(1)) expect(view.frames.slice(0, shortest), name).toEqual(views[0]!.frames.slice(0, shortest));
  }
}
