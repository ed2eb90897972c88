/**
 * trainLogisticRegression: online binary logistic regression on one stream (Spark MLlib's
 * StreamingLogisticRegressionWithSGD, trainOn and predictOn in one step). Each row gives a feature
 * vector (`features`, CEL numbers or booleans) and a label (`label`: 0, 1, true, false, or null):
 *
 *   labelled rows     train the model: one run of mini-batch SGD per batch (logistic-model.ts),
 *                     starting from the model left by the previous batch
 *   unlabelled rows   (label null) are scored with the model as it is after this batch's training,
 *                     and emitted as the row plus `prediction` (0 or 1) and `probability` (of 1)
 *
 * A batch with labelled rows also emits one summary row, first:
 *
 *   {model: {weights, intercept, batches, examples}, trainedOn, loss, accuracy}
 *
 * where `loss` (mean log-loss) and `accuracy` are those of the model *before* this batch's update on
 * this batch's labelled rows: a running held-out estimate (test, then train).
 *
 * The model is global: every row goes to reduce partition 0 (key undefined), whose state is the model
 * (a LogisticModel: plain numbers), checkpointed like any state. Read it with `modelOf(state)`.
 */
import { hashText } from "./content-hash.js";
import type { Entry, Groups } from "./aggregate-set.js";
import type { KeyedStage } from "./keyed-stage.js";
import { emptyModel, evaluate, probability, train, type LogisticModel, type SgdOptions } from "./logistic-model.js";
import { perRow, type Row } from "./operator.js";
import { compileRowExpression } from "./row-expression.js";
import { forField } from "./step-field-error.js";

export interface LogisticRegressionSpec extends SgdOptions {
  readonly features: readonly string[];
  readonly label: string;
  readonly seed: number;
}

/**
 * The map side's payload for the one global entry: `acc` holds the labelled examples (Examples.data),
 * `vals[0]` the unlabelled rows and `vals[1]` their features, flat (d per row).
 */
type Payload = Required<Entry>;

export function trainLogisticRegressionStage(spec: LogisticRegressionSpec): KeyedStage {
  const featureOf = spec.features.map((source, i) => forField(`features[${i}]`, () => compileRowExpression(source)));
  const labelOf = forField("label", () => compileRowExpression(spec.label));
  const d = featureOf.length;

  return {
    partial(rows, ctx) {
      const payload: Payload = { key: undefined, rows: 0, acc: [], vals: [[], []] };
      const unlabelled = payload.vals[0] as Row[];
      const unlabelledX = payload.vals[1] as number[];
      perRow(rows, ctx, (row) => {
        const label = labelValue(labelOf(row));
        const x = featureOf.map((feature, i) => featureValue(feature(row), spec.features[i]!));
        payload.rows += 1;
        if (label === null) {
          unlabelled.push(row);
          unlabelledX.push(...x);
        } else {
          const hash = spec.miniBatchFraction < 1 ? hashText(`${ctx.batchTime}|${JSON.stringify(row)}`, spec.seed).high : 0;
          payload.acc.push(hash, label, ...x);
        }
      });
      const groups: Groups = new Map();
      if (payload.rows > 0) groups.set(undefined, payload);
      return groups;
    },
    reducer(partition) {
      let model = emptyModel(d);
      return {
        reduce(partials) {
          if (partition !== 0) return [];
          const data: number[] = [];
          const unlabelled: Row[] = [];
          const unlabelledX: number[] = [];
          for (const partial of partials) {
            const payload = partial.get(undefined);
            if (!payload) continue;
            for (const v of payload.acc) data.push(v);
            for (const row of payload.vals![0] as Row[]) unlabelled.push(row);
            for (const v of payload.vals![1] as number[]) unlabelledX.push(v);
          }
          const out: Row[] = [];
          if (data.length > 0) {
            const examples = { features: d, data };
            const before = evaluate(model, examples);
            model = train(model, examples, spec);
            out.push({ model: structuredClone(model), trainedOn: data.length / (d + 2), loss: before.loss, accuracy: before.accuracy });
          }
          unlabelled.forEach((row, j) => {
            const p = probability(model, unlabelledX, j * d);
            out.push({ ...row, prediction: p >= 0.5 ? 1 : 0, probability: p });
          });
          return out;
        },
        state: {
          snapshot: (): LogisticModel => structuredClone(model),
          restore: (snapshot) => {
            model = modelOf(snapshot) ?? emptyModel(d);
          },
          size: () => (partition === 0 ? 1 : 0),
          /** The model is the one global state. */
          lookup: (key) => (key === undefined && partition === 0 ? structuredClone(model) : undefined),
        },
      };
    },
  };
}

/**
 * The model in a trainLogisticRegression reducer's state (partition 0's decoded snapshot), or
 * undefined when `state` is not one. `weights[i]` goes with the step's `features[i]`.
 */
export function modelOf(state: unknown): LogisticModel | undefined {
  const s = state as Partial<LogisticModel> | null;
  if (!s || !Array.isArray(s.weights) || typeof s.intercept !== "number") return undefined;
  return { weights: [...s.weights], intercept: s.intercept, batches: s.batches ?? 0, examples: s.examples ?? 0 };
}

function labelValue(value: unknown): 0 | 1 | null {
  if (value === null) return null;
  if (value === 0 || value === false) return 0;
  if (value === 1 || value === true) return 1;
  throw new TypeError(`label must give 0, 1, true, false or null (unlabelled: score the row), got ${JSON.stringify(value)}`);
}

function featureValue(value: unknown, source: string): number {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  throw new TypeError(`feature ${JSON.stringify(source)} must give a number or a boolean, got ${JSON.stringify(value)}`);
}
