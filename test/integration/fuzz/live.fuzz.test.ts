/**
 * Fuzzes live subscriptions over a real socket: a client sends random messages (text, binary, JSON,
 * oversized, empty) on a subscription to a running job. The server never closes it as failed (1011)
 * nor drops it without a close frame (1006); an open subscription keeps delivering results after
 * what the client sent; and the server stays healthy.
 */
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restoreFixture, runBatches } from "../../support/fuzz/fixture.js";
import { ANSWER_BOUND_MS, expectHealthy, fuzz, fuzzRuns } from "../../support/fuzz/harness.js";
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
  }, 120_000);
});
