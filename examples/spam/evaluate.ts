/**
 * Trains the spam filter of job.json through the engine (memory store, in-thread runner, manual
 * clock: one batch per second of simulated time) on 20,000 labelled messages sent to its input
 * stream, then sends 2,000 held-out messages to its other stream ("inbox"), whose rows the job scores
 * with the model it trained, and prints the share it got right.
 * The last line is `accuracy=0.NNN`. Run it with `npm run example:spam`.
 */
import { readFile } from "node:fs/promises";
import { ManualClock } from "../../src/engine/clock.js";
import { createEngine } from "../../src/engine/engine.js";
import { modelOf } from "../../src/engine/operators/train-logistic-regression.js";
import { decodeState } from "../../src/engine/stages/shuffle-codec.js";
import { createMetrics } from "../../src/metrics/metrics.js";
import { openMemoryStore } from "../../src/store/memory/open-memory-store.js";
import { InThreadRunner } from "../../src/workers/in-thread-runner.js";
import { messages } from "./messages.mjs";

const TRAINING = 20_000;
const HELD_OUT = 2_000;
const PER_BATCH = 200;

type Row = Record<string, unknown>;

const definition = JSON.parse(await readFile(new URL("./job.json", import.meta.url), "utf8")) as {
  name: string;
  input: string;
  steps: [{ with: [{ input: string }] }, { features: string[] }];
};
const inbox = definition.steps[0].with[0].input;
const store = openMemoryStore();
const clock = new ManualClock(0);
const runner = new InThreadRunner();
const engine = createEngine({ store, runner, clock, metrics: createMetrics({ defaultMetrics: false }) });
await engine.start();
await engine.declareStream({ name: definition.input, partitions: 4 });
await engine.declareStream({ name: inbox, partitions: 2 });
await engine.registerJob(definition);
const rows: Row[] = [];
await engine.subscribe(definition.name, 1, { frame: (f) => rows.push(...(f.rows as Row[])), end: () => undefined });

/** Sends `events` to `stream` as batches of PER_BATCH, one batch per second of the manual clock. */
async function stream(name: string, events: readonly Row[]): Promise<void> {
  for (let i = 0; i < events.length; i += PER_BATCH) {
    await engine.ingest(name, events.slice(i, i + PER_BATCH));
    clock.advance(1000);
    await engine.whenIdle(definition.name);
  }
}

await stream(definition.input, messages(TRAINING, 1));
const summaries = rows.filter((r) => "model" in r) as { accuracy: number; trainedOn: number }[];
for (const at of [0, 4, 9, 24, 49, summaries.length - 1]) {
  const s = summaries[at];
  if (s) console.log(`batch ${String(at + 1).padStart(3)}: accuracy on the batch before training on it ${s.accuracy.toFixed(3)}`);
}

// The model as the job holds it: reduce partition 0's state (what GET /v1/jobs/:id/model would read).
const model = modelOf(decodeState(await runner.snapshot(definition.name, 0)));
if (!model) throw new Error("the job holds no model");
const features = definition.steps[1].features;
const weighted = model.weights.map((w, i) => ({ w, feature: features[i]! })).sort((a, b) => b.w - a.w);
const show = (list: typeof weighted) => list.map((f) => `${/'(.*)'/.exec(f.feature)?.[1] ?? f.feature} ${f.w.toFixed(2)}`).join(", ");
console.log(`model after ${model.batches} batches, ${model.examples} examples; intercept ${model.intercept.toFixed(2)}`);
console.log(`  most spam-like: ${show(weighted.slice(0, 4))}`);
console.log(`  most ham-like:  ${show(weighted.slice(-4).reverse())}`);

const heldOut = messages(HELD_OUT, 2);
const truth = new Map(heldOut.map((m) => [m.id, m.spam ? 1 : 0]));
rows.length = 0;
await stream(inbox, heldOut.map(({ id, text }) => ({ id, text })));
const predictions = rows.filter((r) => "prediction" in r);
if (predictions.length !== HELD_OUT) throw new Error(`expected ${HELD_OUT} predictions, got ${predictions.length}`);
const correct = predictions.filter((r) => truth.get(r.id as string) === r.prediction).length;

await engine.stop();
await runner.close();
await store.close();
console.log(`held-out messages: ${HELD_OUT}, correct: ${correct}`);
console.log(`accuracy=${(correct / HELD_OUT).toFixed(3)}`);
