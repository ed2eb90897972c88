/**
 * What one job can cost the server is bounded at registration: each expression's length, nesting,
 * size, literals and comprehensions inside comprehensions, the number of steps and the definition's
 * size. Each pathological definition a probe sent (one used to take seconds of the event loop, a
 * stack overflow or a 500) gets a 400 that names the limit and where it was broken, and nothing is
 * registered.
 */
import supertest from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXPRESSION_LIMITS } from "../../../src/engine/expr/expression-limits.js";
import { createTestApp, type TestApp } from "../../support/test-app.js";

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp();
  await t.app.ready();
  await supertest(t.app.server).post("/v1/streams").send({ name: "words" }).expect(201);
});
afterEach(() => t.close());

const http = () => supertest(t.app.server);
const job = (steps: unknown[]) => ({ name: "costly", input: "words", steps });
const where = (expression: string) => job([{ op: "filter", where: expression }]);
const list100 = `[${Array.from({ length: 100 }, (_, i) => i).join(", ")}]`;

describe("registration limits", () => {
  it.each([
    ["three comprehensions inside each other over a 100-element list", where(`size(${list100}.map(a, ${list100}.map(b, ${list100}.map(c, a + b + c)))) > 0`), /steps\[0\]\.where: .*comprehensions .* nested 3 deep; at most 2/],
    ["a 1 MB string literal", where(`w == '${"a".repeat(1_000_000)}'`), /the definition is \d+ characters of JSON; a job definition may have at most 32768/],
    ["a 50,000-term && chain", where(Array(50_000).fill("w != 'x'").join(" && ")), /the definition is \d+ characters of JSON/],
    ["100,000 negations", where(`${"!".repeat(100_000)}true`), /the definition is \d+ characters of JSON/],
    ["a 10,000-character expression", where(`w == '${"a".repeat(10_000)}'`), /steps\[0\]\.where: .*is 10007 characters long; an expression may have at most 2000/],
    ["a 1,000-term && chain", where(Array(1000).fill("w!='x'").join("&&")), /steps\[0\]\.where: .*characters long/],
    ["a 400-term sum (short, but too deep a tree)", job([{ op: "map", set: { s: Array(400).fill("1").join("+") } }]), /steps\[0\]\.set: .*nests more than 128 operations deep/],
    ["brackets 40 deep", where(`${"(".repeat(40)}true${")".repeat(40)}`), /steps\[0\]\.where: .*nests brackets more than 32 deep/],
    ["a list literal of 300 elements", where(`w in [${Array.from({ length: 300 }, (_, i) => `'${i}'`).join(",")}]`), /steps\[0\]\.where: .*list of 300 elements; a list literal may have at most 256/],
    ["65 steps", job(Array.from({ length: 65 }, () => ({ op: "filter", where: "true" }))), /steps: a job may have at most 64 steps/],
    ["a definition over 32 KiB", job(Array.from({ length: 40 }, (_, i) => ({ op: "map", set: { [`f${i}`]: `'${"x".repeat(1000)}'` } }))), /the definition is \d+ characters of JSON; a job definition may have at most 32768/],
  ])("refuses %s with a 400 naming the limit", async (_, definition, message) => {
    const res = await http().post("/v1/jobs").send(definition);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("INVALID_JOB");
    expect(JSON.stringify(res.body.error)).toMatch(message);
    expect((await http().get("/v1/jobs").expect(200)).body.jobs).toEqual([]);
  });

  it("refuses a body over 1 MiB before parsing it, saying how large a definition may be", async () => {
    const res = await http().post("/v1/jobs").set("content-type", "application/json").send(JSON.stringify(where(`w == '${"a".repeat(2_000_000)}'`)));
    expect(res.status).toBe(413);
    expect(res.body.error.message).toMatch(/a job definition may have at most 32768 characters/);
  });

  it("accepts expressions right at the limits, and they run", async () => {
    const { maxNesting, maxLiteralElements } = EXPRESSION_LIMITS;
    // The list and the two calls add 2 to the parentheses' depth.
    const atLimit = `${"(".repeat(maxNesting - 2)}[${Array.from({ length: maxLiteralElements }, (_, i) => `'w${i}'`).join(",")}].exists(x, [1, 2].exists(y, x == w && y > 0))${")".repeat(maxNesting - 2)}`;
    await http().post("/v1/jobs").send(job([{ op: "filter", where: atLimit }, { op: "aggregate", aggs: { n: { fn: "count" } } }])).expect(201);
    await http().post("/v1/streams/words/events").send([{ w: "w3" }, { w: "nope" }, { w: "w255" }]).expect(202);
    await t.advance(1000);
    const frames = (await http().get("/v1/jobs/costly/results?from=1").expect(200)).body.frames;
    expect(frames.at(-1).rows).toEqual([{ n: 2 }]);
  });
});

describe("registration and the event loop", () => {
  it("parses a large definition's expressions one at a time, giving the event loop a turn between them", async () => {
    // 15 distinct expressions near the length limit: the largest definition a user can send.
    const steps = Array.from({ length: 15 }, (_, i) => ({ op: "filter", where: Array.from({ length: 120 }, (_, j) => `w != 'x${i}-${j}'`).join(" && ").slice(0, 1990).replace(/ &&[^&]*$/, "") }));
    let turns = 0;
    let registering = true;
    const count = () => {
      turns++;
      if (registering) setImmediate(count);
    };
    setImmediate(count);
    const res = await http().post("/v1/jobs").send(job(steps));
    registering = false;
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    // Without the turns, the whole definition is parsed in one: a handful of turns for the request's own I/O.
    expect(turns).toBeGreaterThanOrEqual(15);
  });
});
