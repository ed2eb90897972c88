/**
 * Where each step of a job runs, and what it builds. Every step is one of:
 *
 *   narrow   per row (map, filter, flatMap, keyBy, sample): in the map stage while no step that needs
 *            the whole batch came before it, else in the final stage
 *   keyed    grouped by key (aggregate, window + aggregate, runningAggregate, countByValue, distinct,
 *            countByWindow, reduceByWindow, countByValueAndWindow, mapWithState,
 *            trainLogisticRegression): the first one is the job's keyed stage (partial per map
 *            partition, merged per reduce partition where its state lives); a later one runs in the
 *            final stage on the whole batch, and may not keep state
 *   final    ordering the whole batch (topK, sort): always in the final stage
 */
import type { Problem } from "../errors.js";
import { ExpressionError } from "../expr/cel-expression.js";
import type { KeyedStage } from "../operators/keyed-stage.js";
import type { Operator } from "../operators/operator.js";
import { StepFieldError } from "../operators/step-field-error.js";
import type { Duration } from "../time.js";
import { describeStep, type StepPlan } from "./step-plans.js";
import type { Step } from "./job-definition.js";

type Builder = () => Operator;

export interface StageBuilders {
  /** The slide of the keyed stage's window, when it has one. */
  slide?: Duration;
  map: Builder[];
  keyed: (() => KeyedStage) | undefined;
  /**
   * Applied to each reduce partition's rows before they leave it: a topK right after the keyed step.
   * Keys are disjoint across partitions, so the global top k is among the partitions' own top k, and
   * each partition ships k rows instead of all its keys. The final stage still applies it to the union.
   */
  reduce: Builder[];
  final: Builder[];
}

export function planSteps(steps: readonly Step[], batch: Duration, problems: Problem[]): StageBuilders {
  const stages: StageBuilders = { map: [], keyed: undefined, reduce: [], final: [] };
  /** Narrow steps go to the map stage until the first step that needs the whole batch. */
  let narrowPrefix = true;
  /** Whether rows carry a `key` here (a keyBy, not undone by a flatMap or a project without key). */
  let keyed = false;
  for (let i = 0; i < steps.length; i++) {
    const index = i;
    const at = (field: string, step = index) => `steps[${step}]${field === "" ? "" : `.${field}`}`;
    const described = describeStep(steps, index, { batch, keyed }, (field, message) => problems.push({ path: at(field), message }));
    if (!described) continue;
    const { plan, consumes } = described;
    i += consumes;
    // What a step builds is written in its last step (a window's aggregate), so errors point there.
    const built = tryBuild(plan, (field) => at(field, index + consumes), problems);
    if (plan.keyedAfter !== undefined) keyed = plan.keyedAfter;
    if (!built) continue;
    switch (plan.kind) {
      case "narrow":
        (narrowPrefix ? stages.map : stages.final).push(plan.build);
        break;
      case "final":
        if (plan.op === "topK" && stages.keyed && stages.final.length === 0) stages.reduce.push(plan.build);
        narrowPrefix = false;
        stages.final.push(plan.build);
        break;
      case "keyed":
        if (narrowPrefix) {
          stages.keyed = plan.build;
          if (plan.slide) stages.slide = plan.slide;
          narrowPrefix = false;
        } else if (plan.stateful) {
          problems.push({ path: at("op"), message: `${plan.op} keeps state per key, so it must be the first aggregation of a job (before any aggregate, topK or sort)` });
        } else {
          const build = plan.build;
          stages.final.push(() => finalAggregate(build()));
        }
        break;
    }
  }
  return stages;
}

/** Builds the step once, so that every expression is compiled (and every mistake found) now. */
function tryBuild(plan: StepPlan, at: (field: string) => string, problems: Problem[]): boolean {
  try {
    plan.build();
    return true;
  } catch (error) {
    const field = error instanceof StepFieldError ? error.field : plan.field;
    problems.push({ path: at(field), message: describe(error) });
    return false;
  }
}

/** A keyed step after the first one runs on the whole batch's rows, as one partition. */
function finalAggregate(stage: KeyedStage): Operator {
  const reducer = stage.reducer(0);
  return { process: (rows, ctx) => reducer.reduce([stage.partial(rows, ctx)], ctx) };
}

function describe(error: unknown): string {
  if (error instanceof ExpressionError) return error.message;
  return error instanceof Error ? error.message : String(error);
}
