/**
 * Fuzzes live subscriptions over a real socket: a client sends random messages (text, binary, JSON,
 * oversized, empty) on a subscription to a running job. The server never closes it as failed (1011)
 * nor drops it without a close frame (1006); an open subscription keeps delivering results after
 * what the client sent; and the server stays healthy. Server-Sent Events subscriptions get random
 * positions to resume from.
 */
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restoreFixture, runBatches } from "../../support/fuzz/fixture.js";
import { ANSWER_BOUND_MS, expectHealthy, fuzz, FUZZ_TEST_TIMEOUT_MS, fuzzRuns, withinBound } from "../../support/fuzz/harness.js";
import { createTestApp, type TestApp } from "../../support/test-app.js";
import { LiveClient } from "../../support/ws-client.js";

let t: TestApp;
let base: string;
beforeAll(async () => {
  t = await createTestApp();
  await t.app.listen({ port: 0, host: "127.0.0.1" });
  base = `ws://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  await restoreFixture(t);
});
afterAll(() => t.close());

const message = fc.oneof(
  fc.string({ maxLength: 50 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.constantFrom("", "ping", '{"type":"subscribe","from":0}', '{"from":-1}', '{"type":"close"}', '{"__proto__":{"x":1}}', "x".repeat(5000)),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
);

describe("fuzz: live subscriptions", () => {
  it("keeps serving a subscription, or closes it cleanly, whatever the client sends", async () => {
    const outcomes = new Map<string, number>();
    await fuzz(
      "live messages",
      fc.record({ messages: fc.array(message, { maxLength: 5 }), ping: fc.boolean() }),
      async ({ messages, ping }) => {
        await restoreFixture(t);
        const client = new LiveClient(`${base}/v1/jobs/j/results/live`);
        try {
          await client.until(() => client.messages.some((m) => m.type === "hello") || client.closed !== undefined, ANSWER_BOUND_MS, "the hello frame");
          if (client.closed) throw new Error(`the subscription closed before its hello: ${JSON.stringify(client.closed)}`);
          for (const m of messages) client.socket.send(m);
          if (ping) client.socket.ping();
          // The server reads frames in order: its pong says it has read every message before it.
          let ponged = false;
          client.socket.once("pong", () => (ponged = true));
          client.socket.ping("after");
          await client.until(() => ponged || client.closed !== undefined, ANSWER_BOUND_MS, "the pong after the messages");
          const seen = client.results.length;
          await t.engine.ingest("s", [{ user: "ann" }, { user: "cy" }]);
          await runBatches(t);
          await client.until(() => client.results.length > seen || client.closed !== undefined, ANSWER_BOUND_MS, "a result frame or a close");
          if (client.closed && (client.closed.code === 1011 || client.closed.code === 1006)) throw new Error(`the server closed the subscription with ${JSON.stringify(client.closed)}`);
          const outcome = client.closed ? `closed ${client.closed.code}` : "kept delivering";
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        } finally {
          client.close();
        }
      },
      fuzzRuns(150),
    );
    console.log(`fuzz: live messages: ${JSON.stringify(Object.fromEntries(outcomes))}`);
    expect(outcomes.get("kept delivering"), "no subscription outlived what its client sent").toBeGreaterThan(0);
    await expectHealthy(t);
  }, FUZZ_TEST_TIMEOUT_MS);

  it("opens a Server-Sent Events subscription or refuses it in the error shape, whatever its from and Last-Event-ID", async () => {
    const position = fc.oneof(fc.integer({ min: -3, max: 50 }).map(String), fc.constantFrom("", "1e3", "1.5", "abc", "9007199254740993", "%00", "-0"));
    await fuzz(
      "live event streams",
      fc.record({ from: fc.option(position, { nil: undefined }), lastEventId: fc.option(position, { nil: undefined }), job: fc.constantFrom("j", "nope", "%E2%82%AC") }),
      async ({ from, lastEventId, job }) => {
        await restoreFixture(t);
        const url = `${base.replace("ws:", "http:")}/v1/jobs/${job}/results/live${from === undefined ? "" : `?from=${from}`}`;
        const abort = new AbortController();
        try {
          const res = await withinBound(`GET ${url}`, fetch(url, { signal: abort.signal, headers: { accept: "text/event-stream", ...(lastEventId === undefined ? {} : { "last-event-id": lastEventId }) } }));
          if (res.status >= 500) throw new Error(`GET ${url} answered ${res.status}: ${await res.text()}`);
          if (res.status >= 400) {
            const body = (await res.json()) as { error?: { code?: string; message?: string } };
            if (!body.error?.code || !body.error.message) throw new Error(`GET ${url} answered ${res.status} without the error shape: ${JSON.stringify(body)}`);
            return;
          }
          const reader = res.body!.getReader();
          let text = "";
          while (!text.includes("\n\n")) {
            const { value, done } = await withinBound("the hello event", reader.read());
            if (done) break;
            text += Buffer.from(value).toString();
          }
          if (!text.includes('"type":"hello"')) throw new Error(`the event stream began without a hello: ${text.slice(0, 200)}`);
        } finally {
          abort.abort();
        }
      },
      fuzzRuns(150),
    );
    await expectHealthy(t);
  }, FUZZ_TEST_TIMEOUT_MS);
});
