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
 *
 * union, join and cogroup also read other streams (`with`): each has its own narrow steps in the map
 * stage, and a union's later narrow steps run on every input (see plan-inputs.ts). repartition sets
 * how many partitions the keyed step runs in.
 */
import type { Problem } from "../errors.js";
import type { KeyedStage } from "../operators/keyed-stage.js";
import type { NarrowOperator, Operator } from "../operators/operator.js";
import type { Duration } from "../time.js";
import { describeStep, tryBuild } from "./step-plans.js";
import type { Step } from "./job-definition.js";
import { planOtherInputs } from "./plan-inputs.js";

type Builder = () => Operator;

/** Where one step of the definition runs (for a dry run's answer; see POST /v1/jobs/validate). */
export interface StepPlacement {
  /** The step, as the definition numbers it (a window and its aggregate are one step, at the window). */
  readonly step: number;
  readonly op: string;
  /**
   * map: per row, on each input partition; keyed: the job's keyed stage, per key partition; final: on
   * the whole batch's rows; plan: shapes the job (union, repartition) and runs nowhere by itself.
   */
  readonly stage: "map" | "keyed" | "final" | "plan";
  /** Whether it keeps state from batch to batch (checkpointed, and queryable per key). */
  readonly keepsState: boolean;
}

export interface StageBuilders {
  /** The slide of the keyed stage's window, when it has one. */
  slide?: Duration;
  /** The map stage's narrow steps per input: the job's own input first, then each of `otherInputs`. */
  map: (() => NarrowOperator)[][];
  /** The streams a union, join or cogroup reads besides the job's input, in input order from 1. */
  otherInputs: string[];
  /** How many partitions the keyed step runs in, when a repartition step says. */
  reducePartitions?: number;
  keyed: (() => KeyedStage) | undefined;
  /**
   * Applied to each reduce partition's rows before they leave it: a topK right after the keyed step.
   * Keys are disjoint across partitions, so the global top k is among the partitions' own top k, and
   * each partition ships k rows instead of all its keys. The final stage still applies it to the union.
   */
  reduce: Builder[];
  final: Builder[];
  /** Where each step runs, in definition order. */
  placements: StepPlacement[];
}

export function planSteps(steps: readonly Step[], batch: Duration, problems: Problem[]): StageBuilders {
  const stages: StageBuilders = { map: [[]], otherInputs: [], keyed: undefined, reduce: [], final: [], placements: [] };
  const place = (op: string, stage: StepPlacement["stage"], keepsState = false) => stages.placements.push({ step: index, op, stage, keepsState });
  let index = 0;
  /** Narrow steps go to the map stage until the first step that needs the whole batch. */
  let narrowPrefix = true;
  /** Whether rows carry a `key` here (a keyBy, not undone by a flatMap or a project without key). */
  let keyed = false;
  /** Narrow steps after a union run on every input; before it, on the job's own input only. */
  let afterUnion = false;
  let repartitionAt: number | undefined;
  /** The op of a window step with emit "changes" (which must be the last step), once seen. */
  let changesOf: string | undefined;
  for (let i = 0; i < steps.length; i++) {
    index = i;
    const at = (field: string, step = index) => `steps[${step}]${field === "" ? "" : `.${field}`}`;
    const step = steps[index]!;
    if (step.op === "union" || step.op === "join" || step.op === "cogroup") {
      const others = planOtherInputs(step, { batch, keyed, narrowPrefix, combined: stages.otherInputs.length > 0 }, at, problems);
      if (!others) continue;
      stages.otherInputs.push(...others.map((o) => o.input));
      stages.map.push(...others.map((o) => o.map));
      afterUnion = step.op === "union";
    }
    const described = describeStep(steps, index, { batch, keyed }, (field, message) => problems.push({ path: at(field), message }));
    if (!described) continue;
    const { plan, consumes } = described;
    i += consumes;
    if (changesOf !== undefined) {
      problems.push({ path: at("op"), message: afterChanges(plan.op, changesOf) });
      continue;
    }
    // What a step builds is written in its last step (a window's aggregate), so errors point there.
    const built = tryBuild(plan, (field) => at(field, index + consumes), problems);
    if (plan.keyedAfter !== undefined) keyed = plan.keyedAfter;
    if (!built) continue;
    switch (plan.kind) {
      case "union":
        place(plan.op, "plan");
        break;
      case "repartition":
        place(plan.op, "plan");
        if (!narrowPrefix) problems.push({ path: at("op"), message: "repartition must come before the job's keyed step (aggregate, window, join, ...), whose partitions it sets" });
        stages.reducePartitions = plan.partitions;
        repartitionAt = index;
        break;
      case "narrow":
        place(plan.op, narrowPrefix ? "map" : "final");
        if (!narrowPrefix) stages.final.push(plan.build);
        else if (afterUnion) for (const inputSteps of stages.map) inputSteps.push(plan.build);
        else stages.map[0]!.push(plan.build);
        break;
      case "final":
        place(plan.op, "final");
        if (plan.op === "topK" && stages.keyed && stages.final.length === 0) stages.reduce.push(plan.build);
        narrowPrefix = false;
        stages.final.push(plan.build);
        break;
      case "keyed":
        place(plan.op, narrowPrefix ? "keyed" : "final", narrowPrefix && plan.stateful);
        if (narrowPrefix) {
          stages.keyed = plan.build;
          if (plan.slide) stages.slide = plan.slide;
          if (plan.emitsChanges) changesOf = plan.op;
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
  if (repartitionAt !== undefined && !stages.keyed) {
    problems.push({ path: `steps[${repartitionAt}]`, message: "repartition sets how many partitions the job's keyed step (aggregate, window, join, ...) runs in; add one after it, or remove repartition" });
  }
  return stages;
}

/**
 * Why no step may follow a window with emit "changes": its rows are the keys that changed and the
 * removal rows of keys that left, not the window, so a later step would rank, count or filter those.
 */
function afterChanges(op: string, windowOp: string): string {
  const fix = `give the ${windowOp} step emit "all" (the default), or move this step before it`;
  if (op === "topK") return `topK ranks the whole window each slide, but the ${windowOp} step before it has emit "changes" and sends only the keys that changed; give it emit "all" (the default) to rank with topK`;
  return `the ${windowOp} step before this one has emit "changes", so it must be the job's last step: its rows are only the keys that changed and the removal rows of keys that left; ${fix}`;
}

/** A keyed step after the first one runs on the whole batch's rows, as one partition. */
function finalAggregate(stage: KeyedStage): Operator {
  const reducer = stage.reducer(0);
  return { process: (rows, ctx) => reducer.reduce([stage.partial(rows, ctx)], ctx) };
}
