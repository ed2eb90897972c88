/**
 * A client that lost the answer to an ingest request retries it with the same Idempotency-Key: the
 * events count once, whether or not the first attempt was stored before the connection was cut. On a
 * stream with an idField, events that carry their own ids count once however they are re-sent, also
 * across a server crash.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { random } from "../../examples/lib/corpus.mjs";
import { ServerProcess } from "../support/server-process.js";

let server: ServerProcess;
beforeAll(async () => {
  server = await ServerProcess.start({ WORKERS: "0" });
});
afterAll(() => server?.dispose());

/**
 * Sends the request and cuts the connection without reading the answer: `afterMs` after the whole
 * body went out (the server may well have stored it), or half-way through the body (it cannot have).
 */
function sendAndCut(path: string, body: string, headers: Record<string, string>, afterMs: number, halfWay: boolean): Promise<void> {
  return new Promise((resolve) => {
    const length = String(Buffer.byteLength(body));
    const req = http.request(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json", "content-length": length, ...headers } });
    req.on("error", () => resolve());
    req.on("close", () => resolve());
    if (halfWay) req.write(body.slice(0, body.length >> 1), () => setTimeout(() => req.destroy(), afterMs));
    else req.end(body, () => setTimeout(() => req.destroy(), afterMs));
  });
}

const job = { name: "count", input: "events", batchInterval: "100ms", startFrom: "earliest", steps: [{ op: "runningAggregate", aggs: { n: { fn: "count" } } }] };

describe("Idempotency-Key", () => {
  it("answers a repeated request with the same blocks, stores nothing again, and says it replayed", async () => {
    const key = randomUUID();
    const events = [{ a: 1 }, { a: 2 }, { a: 3 }];
    const first = await fetch(`${server.url}/v1/streams/replay/events`, { method: "POST", headers: { "content-type": "application/json", "idempotency-key": key }, body: JSON.stringify(events) });
    const second = await fetch(`${server.url}/v1/streams/replay/events`, { method: "POST", headers: { "content-type": "application/json", "idempotency-key": key }, body: JSON.stringify(events) });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    const [a, b] = [await first.json(), await second.json()];
    expect(a.duplicates).toBe(0);
    expect(b).toEqual({ ...a, replayed: true, duplicates: 3 });
  });

  it("refuses a key that is not printable ASCII", async () => {
    const res = await fetch(`${server.url}/v1/streams/replay/events`, { method: "POST", headers: { "content-type": "application/json", "idempotency-key": "has space" }, body: "{}" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("INVALID_REQUEST");
  });

  it("counts a request retried after its connection was cut exactly once", async () => {
    expect((await server.request("POST", "/v1/streams", { name: "events", partitions: 3 })).status).toBe(201);
    const next = random(3);
    let sent = 0;
    for (let r = 0; r < 25; r++) {
      const key = randomUUID();
      const events = Array.from({ length: 1 + Math.floor(next() * 30) }, (_, i) => ({ r, i }));
      const body = JSON.stringify(events);
      // The first attempt is cut at a random moment: before, during or after the server stored it.
      await sendAndCut("/v1/streams/events/events", body, { "idempotency-key": key }, Math.floor(next() * 4), r % 3 === 0);
      const retry = await fetch(`${server.url}/v1/streams/events/events`, { method: "POST", headers: { "content-type": "application/json", "idempotency-key": key }, body });
      expect(retry.status).toBe(202);
      sent += events.length;
    }
    expect((await server.request("POST", "/v1/jobs", job)).status).toBe(201);
    const deadline = Date.now() + 60_000; // generous: the machine may be busy
    let counted = -1;
    while (Date.now() < deadline) {
      const last = (await server.request<{ last: number }>("GET", "/v1/jobs/count/results?limit=1")).body.last;
      if (last > 0) {
        const page = await server.request<{ frames: { rows: { n: number }[] }[] }>("GET", `/v1/jobs/count/results?from=${last}`);
        counted = page.body.frames[0]!.rows[0]!.n;
        if (counted >= sent) break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(counted).toBe(sent);
  });
});

/** The running count of job `name` once it reaches `atLeast` (or what it has after 60 s). */
async function countOf(name: string, atLeast: number): Promise<number> {
  const deadline = Date.now() + 60_000; // generous: the machine may be busy
  let counted = -1;
  while (Date.now() < deadline) {
    const last = (await server.request<{ last: number }>("GET", `/v1/jobs/${name}/results?limit=1`)).body.last;
    if (last > 0) {
      const page = await server.request<{ frames: { rows: { n: number }[] }[] }>("GET", `/v1/jobs/${name}/results?from=${last}`);
      counted = page.body.frames[0]!.rows[0]!.n;
      if (counted >= atLeast) break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return counted;
}

describe("event ids (a stream's idField)", () => {
  it("stores each event once, however it is re-sent (re-batched, no Idempotency-Key, cut connections, a server crash)", async () => {
    expect((await server.request("POST", "/v1/streams", { name: "orders", partitions: 3, idField: "orderId" })).status).toBe(201);
    const orders = Array.from({ length: 120 }, (_, i) => ({ orderId: `o-${i}`, amount: i }));
    const next = random(11);
    // Each slice is sent with its connection cut at a random moment, then re-sent inside a larger,
    // overlapping slice: no key ties the attempts together, only the events' own ids.
    for (let from = 0; from < orders.length; from += 20) {
      await sendAndCut("/v1/streams/orders/events", JSON.stringify(orders.slice(from, from + 20)), {}, Math.floor(next() * 4), next() < 0.3);
      const res = await server.request<{ accepted: number; duplicates: number }>("POST", "/v1/streams/orders/events", orders.slice(Math.max(0, from - 5), from + 20));
      expect(res.status).toBe(202);
      expect(res.body.accepted).toBe(Math.min(from + 20, orders.length) - Math.max(0, from - 5));
      expect(res.body.duplicates).toBeGreaterThanOrEqual(from === 0 ? 0 : 5);
    }
    // The server dies and comes back: the ids it stored still count as seen.
    await server.restart();
    const again = await server.request<{ duplicates: number; replayed: boolean }>("POST", "/v1/streams/orders/events", orders.slice(100));
    expect(again.body).toMatchObject({ duplicates: 20, replayed: true });
    expect((await server.request("POST", "/v1/streams/orders/events", [{ orderId: "o-new", amount: 1 }])).status).toBe(202);
    const counting = { ...job, name: "orders-count", input: "orders" };
    expect((await server.request("POST", "/v1/jobs", counting)).status).toBe(201);
    expect(await countOf("orders-count", orders.length + 1)).toBe(orders.length + 1);
  });

  it("refuses an event without its id, storing nothing of the request", async () => {
    expect((await server.request("POST", "/v1/streams", { name: "payments", idField: "id" })).status).toBe(201);
    const res = await server.request<{ error: { code: string; message: string } }>("POST", "/v1/streams/payments/events", [{ id: "p1" }, { amount: 3 }]);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("INVALID_EVENT");
    expect(res.body.error.message).toMatch(/event 1 has no "id" field/);
    const stored = await server.request<{ duplicates: number }>("POST", "/v1/streams/payments/events", [{ id: "p1" }]);
    expect(stored.body.duplicates).toBe(0);
  });
});
