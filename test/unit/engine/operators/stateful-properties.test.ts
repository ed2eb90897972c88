/**
 * Property tests of the steps that carry user state: mapWithState (init, update, emit, timeout,
 * onTimeout) and trainLogisticRegression. The references are plain loops over the batches in arrival
 * order, written directly in TypeScript.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hashText, remix } from "../../../../src/engine/operators/content-hash.js";
import { arrived, batchesArb, groupBy, partitionsArb, RUNS, sortedBatches } from "./reference.js";
import { rowsOf, runJob, type Row } from "./run-job.js";

interface Counter {
  n: number;
  s: number;
}

describe("stateful steps agree with a plain loop", () => {
  it("mapWithState", () => {
    fc.assert(
      fc.property(batchesArb, partitionsArb, fc.boolean(), fc.option(fc.integer({ min: 1, max: 4 })), fc.boolean(), (batches, partitions, withEmit, timeout, keyed) => {
        const steps = [
          ...(keyed ? [{ op: "keyBy", key: "k" }] : []),
          {
            op: "mapWithState",
            init: "{'n': 0, 's': 0}",
            // v == 0 removes the state; the next row of the key starts again from init.
            update: "value.v == 0 ? null : {'n': state.n + 1, 's': state.s + (value.v == null ? 0 : value.v)}",
            ...(withEmit ? { emit: "state != null && int(state.n) % 2 == 0 ? {'k': key, 'n': state.n, 'w': value.w} : null" } : {}),
            ...(timeout === null ? {} : { timeout: `${timeout}s`, onTimeout: "{'gone': key, 'n': state.n}" }),
          },
        ];
        const states = new Map<unknown, { state: Counter; seen: number }>();
        const expected = arrived(batches, partitions).map((rows, i) => {
          const out: Row[] = [];
          for (const [key, group] of groupBy(rows, (r) => (keyed ? r.k : null))) {
            let state: Counter | null = states.get(key)?.state ?? null;
            for (const row of group) {
              const current = state ?? { n: 0, s: 0 };
              state = row.v === 0 ? null : { n: current.n + 1, s: current.s + ((row.v as number | null) ?? 0) };
              if (withEmit && state !== null && state.n % 2 === 0) out.push({ k: key, n: state.n, w: row.w });
            }
            if (state === null) states.delete(key);
            else states.set(key, { state, seen: i });
            if (!withEmit) out.push(keyed ? { key, state } : { state });
          }
          for (const [key, { state, seen }] of states) {
            if (timeout !== null && i - seen >= timeout) {
              states.delete(key);
              out.push({ gone: key, n: state.n });
            }
          }
          return out;
        });
        expect(sortedBatches(rowsOf(runJob(steps, batches, { partitions })))).toEqual(sortedBatches(expected));
      }),
      RUNS,
    );
  });

  it("trainLogisticRegression", () => {
    const optionsArb = fc.record({
      stepSize: fc.constantFrom(0.1, 0.5, 2),
      iterations: fc.integer({ min: 1, max: 4 }),
      regParam: fc.constantFrom(0, 0.1),
      miniBatchFraction: fc.constantFrom(1, 0.5),
      intercept: fc.boolean(),
      seed: fc.nat(100),
    });
    fc.assert(
      fc.property(batchesArb, partitionsArb, optionsArb, (batches, partitions, options) => {
        // Label: w x -> 1, y -> 0, z -> unlabelled (scored). Features: v (0 when null) and k == 'a'.
        const steps = [{ op: "trainLogisticRegression", features: ["v == null ? 0 : v", "k == 'a'"], label: "w == 'x' ? 1 : (w == 'y' ? 0 : null)", ...options }];
        const features = (r: Row) => [(r.v as number | null) ?? 0, r.k === "a" ? 1 : 0];
        const margin = (w: number[], b: number, x: number[]) => b + w[0]! * x[0]! + w[1]! * x[1]!;
        const predict = (w: number[], b: number, x: number[]) => 1 / (1 + Math.exp(-margin(w, b, x)));
        // A trained model whose margin is this close to 0 classifies by the last bit of its weights, which
        // differs between the engine's and this loop's order of float sums (a weight of 0 here, -3e-16
        // there): such cases are not judged. The untrained model (all 0) is exactly 0.5 on both sides.
        let borderline = false;
        /** The predicted class: 1 when the probability is at least 0.5. */
        const classify = (w: number[], b: number, x: number[]) => {
          const trained = b !== 0 || w.some((v) => v !== 0);
          if (trained && Math.abs(margin(w, b, x)) < 1e-9) borderline = true;
          return predict(w, b, x) >= 0.5 ? 1 : 0;
        };
        let weights = [0, 0];
        let intercept = 0;
        let trainedBatches = 0;
        let trainedExamples = 0;
        const expected = arrived(batches, partitions).map((rows, i) => {
          const batchTime = (i + 1) * 1000;
          const labelled = rows.filter((r) => r.w !== "z").map((r) => ({ x: features(r), y: r.w === "x" ? 1 : 0, hash: hashText(`${batchTime}|${JSON.stringify(r)}`, options.seed).high }));
          const out: Row[] = [];
          if (labelled.length > 0) {
            const accuracy = labelled.filter((e) => classify(weights, intercept, e.x) === e.y).length / labelled.length;
            for (let it = 1; it <= options.iterations; it++) {
              const batch = labelled.filter((e) => options.miniBatchFraction === 1 || remix(e.hash, it) / 2 ** 32 < options.miniBatchFraction);
              if (batch.length === 0) continue;
              const step = options.stepSize / Math.sqrt(it);
              let g0 = 0;
              let g1 = 0;
              let gb = 0;
              for (const e of batch) {
                const error = predict(weights, intercept, e.x) - e.y;
                g0 += error * e.x[0]!;
                g1 += error * e.x[1]!;
                gb += error;
              }
              const g = [g0, g1];
              weights = weights.map((w, k) => w * (1 - step * options.regParam) - (step * g[k]!) / batch.length);
              if (options.intercept) intercept -= (step * gb) / batch.length;
            }
            trainedBatches++;
            trainedExamples += labelled.length;
            out.push({ weights, intercept, batches: trainedBatches, examples: trainedExamples, trainedOn: labelled.length, accuracy });
          }
          for (const r of rows.filter((r) => r.w === "z")) {
            const p = predict(weights, intercept, features(r));
            out.push({ ...r, prediction: classify(weights, intercept, features(r)), probability: p });
          }
          return out;
        });
        fc.pre(!borderline);
        const got = rowsOf(runJob(steps, batches, { partitions })).map((rows) =>
          rows!.map((r) => {
            if (!("model" in r)) return r;
            const { model, trainedOn, accuracy } = r as { model: Row; trainedOn: number; accuracy: number };
            return { ...model, trainedOn, accuracy };
          }),
        );
        expect(got).toEqual(expected.map((rows) => rows.map((r) => roughly(r))));
      }),
      RUNS,
    );
  });
});

/** Numbers compared to 1e-9 (the engine sums in the same order, but need not bit for bit). */
function roughly(row: Row): Row {
  const near = (v: unknown): unknown => (typeof v === "number" && !Number.isInteger(v) ? expect.closeTo(v, 9) : Array.isArray(v) ? v.map(near) : v);
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, near(v)]));
}
