/** trainLogisticRegression beyond the property test: learning, determinism, and the spam example's job. */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { JobPipeline } from "../../../../src/engine/job-pipeline.js";
import { emptyModel, train } from "../../../../src/engine/operators/logistic-model.js";
import { modelOf } from "../../../../src/engine/operators/train-logistic-regression.js";
import { compileJob } from "../../../../src/engine/query/compile-job.js";
import { decodeState } from "../../../../src/engine/stages/shuffle-codec.js";
import { messages } from "../../../../examples/spam/messages.mjs";
import type { Row } from "./run-job.js";

const sgd = { stepSize: 1, iterations: 20, regParam: 0, miniBatchFraction: 1, fitIntercept: true };

describe("logistic regression", () => {
  it("learns the sign of a separating feature, and L2 keeps weights smaller", () => {
    // x > 0 is class 1; hash 0, label, x
    const data = [0, 1, 2, 0, 0, -2, 0, 1, 1, 0, 0, -1];
    const free = train(emptyModel(1), { features: 1, data }, sgd);
    const shrunk = train(emptyModel(1), { features: 1, data }, { ...sgd, regParam: 0.5 });
    expect(free.weights[0]).toBeGreaterThan(1);
    expect(shrunk.weights[0]).toBeGreaterThan(0);
    expect(shrunk.weights[0]).toBeLessThan(free.weights[0]!);
    expect(free).toMatchObject({ batches: 1, examples: 4 });
  });

  it("a mini-batch fraction below 1 is the same draw on every run, and another seed draws another", () => {
    const steps = (seed: number) => [{ op: "trainLogisticRegression", features: ["x"], label: "y", miniBatchFraction: 0.3, iterations: 5, seed }];
    const batch: Row[] = Array.from({ length: 50 }, (_, i) => ({ i, x: (i % 7) - 3, y: i % 7 > 3 ? 1 : 0 }));
    const weightsOf = (seed: number, partitions: number) => {
      const pipeline = new JobPipeline(compileJob({ name: "t", input: "s", steps: steps(seed) }), partitions);
      pipeline.process(1000, batch, { count: 0 });
      return modelOf(decodeState(pipeline.snapshot()[0]!))!.weights[0]!;
    };
    expect(weightsOf(1, 1)).toBe(weightsOf(1, 1));
    expect(weightsOf(1, 3)).toBeCloseTo(weightsOf(1, 1), 12); // the draw depends on the rows, not their partition
    expect(weightsOf(2, 1)).not.toBe(weightsOf(1, 1));
  });

  it("rows with a label that is not 0/1 or a feature that is not a number are row errors", () => {
    const pipeline = new JobPipeline(compileJob({ name: "t", input: "s", steps: [{ op: "trainLogisticRegression", features: ["x"], label: "y" }] }));
    const errors = { count: 0 } as { count: number; last?: string };
    const out = pipeline.process(1000, [{ x: 1, y: 2 }, { x: "a", y: 1 }, { x: 1, y: 1 }], errors);
    expect(errors.count).toBe(2);
    expect(out?.rows).toHaveLength(1);
    expect(out?.rows[0]).toMatchObject({ trainedOn: 1 });
  });

  it("the spam example's job, trained on its labelled stream, reaches 0.95 on held-out messages of its other stream", async () => {
    const definition = JSON.parse(await readFile(new URL("../../../../examples/spam/job.json", import.meta.url), "utf8")) as Record<string, unknown>;
    const plan = compileJob(definition);
    expect(plan.inputs).toEqual(["messages", "inbox"]);
    const pipeline = new JobPipeline(plan, 2);
    const training = messages(6000, 11);
    for (let i = 0; i < training.length; i += 200) pipeline.processInputs((i / 200 + 1) * 1000, [training.slice(i, i + 200), []], { count: 0 });
    const heldOut = messages(1000, 12);
    // The inbox's messages carry their label too: the job must score them, not train on them.
    const out = pipeline.processInputs(1_000_000, [[], heldOut], { count: 0 });
    expect(out!.rows.some((r) => "model" in r)).toBe(false);
    const truth = new Map(heldOut.map((m) => [m.id, m.spam ? 1 : 0]));
    const correct = out!.rows.filter((r) => truth.get(r.id as string) === r.prediction).length;
    expect(correct / heldOut.length).toBeGreaterThanOrEqual(0.95);
  });
});
