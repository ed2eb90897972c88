/**
 * Binary logistic regression trained by mini-batch gradient descent, as Spark MLlib's
 * LogisticRegressionWithSGD does it for each batch of StreamingLogisticRegressionWithSGD:
 *
 *   for i in 1..iterations:
 *     B     = the examples drawn into this iteration's mini-batch (each with probability
 *             miniBatchFraction; skipped when empty)
 *     g     = (1/|B|) sum over B of (sigmoid(w.x + b) - y) x        (and the same for b, with x = 1)
 *     step  = stepSize / sqrt(i)
 *     w     = w (1 - step regParam) - step g                         (L2; the intercept b is not shrunk)
 *
 * The weights of one batch start from the previous batch's (warm start). The draw is deterministic:
 * an example is in iteration i's mini-batch when remix(hash of its row, i) / 2^32 < miniBatchFraction,
 * the row's hash being taken from its JSON text, the seed and the batch time (see sample.ts).
 */
import { remix } from "./content-hash.js";

/** The model: plain data, so it is the reducer's checkpointed state as it is. */
export interface LogisticModel {
  weights: number[];
  intercept: number;
  /** Batches that had labelled examples, and examples trained on, since the job started. */
  batches: number;
  examples: number;
}

export interface SgdOptions {
  readonly stepSize: number;
  readonly iterations: number;
  readonly regParam: number;
  readonly miniBatchFraction: number;
  readonly fitIntercept: boolean;
}

/**
 * Labelled examples of one batch, flat: for example j at `j * (d + 2)`: the row hash, the label
 * (0 or 1), then the d features.
 */
export interface Examples {
  readonly features: number;
  readonly data: readonly number[];
}

export function emptyModel(features: number): LogisticModel {
  return { weights: new Array<number>(features).fill(0), intercept: 0, batches: 0, examples: 0 };
}

export function probability(model: LogisticModel, x: readonly number[], offset = 0): number {
  let margin = model.intercept;
  for (let k = 0; k < model.weights.length; k++) margin += model.weights[k]! * x[offset + k]!;
  return sigmoid(margin);
}

/** Mean log-loss and accuracy (threshold 0.5) of `model` on the examples. */
export function evaluate(model: LogisticModel, examples: Examples): { loss: number; accuracy: number } {
  const stride = examples.features + 2;
  const n = examples.data.length / stride;
  let loss = 0;
  let correct = 0;
  for (let j = 0; j < n; j++) {
    const y = examples.data[j * stride + 1]!;
    const p = probability(model, examples.data, j * stride + 2);
    loss -= y === 1 ? Math.log(Math.max(p, 1e-15)) : Math.log(Math.max(1 - p, 1e-15));
    if ((p >= 0.5 ? 1 : 0) === y) correct++;
  }
  return { loss: n === 0 ? 0 : loss / n, accuracy: n === 0 ? 0 : correct / n };
}

/** One batch of training: a new model, warm-started from `model` (which is not changed). */
export function train(model: LogisticModel, examples: Examples, options: SgdOptions): LogisticModel {
  const d = examples.features;
  const stride = d + 2;
  const n = examples.data.length / stride;
  const weights = [...model.weights];
  let intercept = model.intercept;
  const gradient = new Array<number>(d);
  for (let i = 1; i <= options.iterations; i++) {
    gradient.fill(0);
    let gradientB = 0;
    let size = 0;
    const current = { weights, intercept, batches: 0, examples: 0 };
    for (let j = 0; j < n; j++) {
      const at = j * stride;
      if (options.miniBatchFraction < 1 && remix(examples.data[at]!, i) / 2 ** 32 >= options.miniBatchFraction) continue;
      const error = probability(current, examples.data, at + 2) - examples.data[at + 1]!;
      for (let k = 0; k < d; k++) gradient[k] = gradient[k]! + error * examples.data[at + 2 + k]!;
      gradientB += error;
      size++;
    }
    if (size === 0) continue;
    const step = options.stepSize / Math.sqrt(i);
    for (let k = 0; k < d; k++) weights[k] = weights[k]! * (1 - step * options.regParam) - (step * gradient[k]!) / size;
    if (options.fitIntercept) intercept -= (step * gradientB) / size;
  }
  return { weights, intercept, batches: model.batches + 1, examples: model.examples + n };
}

function sigmoid(margin: number): number {
  return margin >= 0 ? 1 / (1 + Math.exp(-margin)) : Math.exp(margin) / (1 + Math.exp(margin));
}
