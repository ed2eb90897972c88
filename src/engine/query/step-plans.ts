/**
 * What each step op builds, where it runs (see plan-steps.ts) and the checks its fields need beyond
 * the schema (durations against the batch interval, field combinations). Expressions are checked by
 * building the operator, which compiles them.
 */
import { aggregateStage } from "../operators/aggregate.js";
import { countByValueAndWindowStage, countByValueStage, distinctStage } from "../operators/count-by-value.js";
import { eventWindowStage, type EventWindowShape } from "../operators/event-window.js";
import { filterOperator } from "../operators/filter.js";
import { flatMapOperator } from "../operators/flat-map.js";
import { joinStage } from "../operators/join.js";
import { keyByOperator } from "../operators/key-by.js";
import type { KeyedStage } from "../operators/keyed-stage.js";
import { mapWithStateStage } from "../operators/map-with-state.js";
import { mapOperator } from "../operators/map.js";
import type { NarrowOperator, Operator } from "../operators/operator.js";
import { runningAggregateStage } from "../operators/running-aggregate.js";
import { sampleOperator } from "../operators/sample.js";
import { sortOperator } from "../operators/sort.js";
import { topKOperator } from "../operators/top-k.js";
import { trainLogisticRegressionStage } from "../operators/train-logistic-regression.js";
import { countByWindowStage, reduceByWindowStage, windowAggregateStage, type WindowSpec } from "../operators/window-aggregate.js";
import { StepFieldError } from "../operators/step-field-error.js";
import type { Problem } from "../errors.js";
import { Duration } from "../time.js";
import type { EventWindowStep, Step, WindowFields } from "./job-definition.js";

interface PlanBase {
  readonly op: string;
  /** The field named in a build error that does not say which field it is about. */
  readonly field: string;
  /** Whether rows carry a `key` after this step; undefined: as before it. */
  readonly keyedAfter?: boolean;
}

/**
 * narrow, keyed and final steps build operators (see plan-steps.ts); union and repartition shape the
 * job instead: which streams it reads, how many partitions its keyed step runs in.
 */
export type StepPlan =
  | (PlanBase & { readonly kind: "narrow"; readonly build: () => NarrowOperator })
  | (PlanBase & { readonly kind: "final"; readonly build: () => Operator })
  | (PlanBase & {
      readonly kind: "keyed";
      readonly build: () => KeyedStage;
      readonly stateful: boolean;
      readonly slide?: Duration;
      /** A window with emit "changes": its rows are only what changed, so no step may follow it. */
      readonly emitsChanges?: boolean;
    })
  | (PlanBase & { readonly kind: "union" })
  | (PlanBase & { readonly kind: "repartition"; readonly partitions: number });

export interface PlanContext {
  readonly batch: Duration;
  /** Whether rows carry a `key` before this step. */
  readonly keyed: boolean;
}

/** Reports a problem with one field of the step (`""`: the step itself). */
export type ReportProblem = (field: string, message: string) => void;

/** The plan of `steps[i]`, and how many following steps it took in (a window takes its aggregate). */
export function describeStep(steps: readonly Step[], i: number, ctx: PlanContext, report: ReportProblem): { plan: StepPlan; consumes: number } | undefined {
  const step = steps[i]!;
  const { keyed, batch } = ctx;
  const one = (plan: StepPlan | undefined) => (plan ? { plan, consumes: 0 } : undefined);
  const narrow = (field: string, build: () => NarrowOperator, keyedAfter?: boolean): StepPlan => ({ op: step.op, kind: "narrow", field, build, keyedAfter });
  const keyedPlan = (field: string, build: () => KeyedStage, more: { stateful: boolean; slide?: Duration; keyedAfter?: boolean; emitsChanges?: boolean }): StepPlan => ({
    op: step.op,
    kind: "keyed",
    field,
    build,
    ...more,
  });
  switch (step.op) {
    case "map": {
      if ((step.set === undefined) === (step.project === undefined)) {
        report("op", "map needs exactly one of \"set\" (add fields, keep the rest) or \"project\" (only these fields)");
        return undefined;
      }
      const fields = step.set ?? step.project!;
      const keepsKey = step.set !== undefined || "key" in step.project!;
      return one(narrow(step.set ? "set" : "project", () => mapOperator(fields, step.set !== undefined), keepsKey ? undefined : false));
    }
    case "filter":
      return one(narrow("where", () => filterOperator(step.where)));
    case "flatMap":
      return one(narrow("expr", () => flatMapOperator(step.expr, step.as), false));
    case "keyBy":
      return one(narrow("key", () => keyByOperator(step.key), true));
    case "sample":
      return one(narrow("fraction", () => sampleOperator(step.fraction, step.seed ?? 0)));
    case "union":
      return one({ op: step.op, kind: "union", field: "with" });
    case "repartition":
      return one({ op: step.op, kind: "repartition", field: "partitions", partitions: step.partitions });
    case "join":
    case "cogroup": {
      if (!keyed) {
        report("op", `${step.op} matches rows by key: add a keyBy step before it (and end the steps of its "with" input with a keyBy)`);
        return undefined;
      }
      const window = step.window && checkWindow(step.window, batch, (field, message) => report(`window.${field}`, message));
      if (step.window && !window) return undefined;
      const spec = { kind: step.op, type: step.op === "join" ? (step.type ?? "inner") : "inner", ...(window ? { window } : {}) } as const;
      return one(keyedPlan("op", () => joinStage(spec), { stateful: window !== undefined, ...(window ? { slide: window.slide } : {}), keyedAfter: true }));
    }
    case "window": {
      const next = steps[i + 1];
      if (next?.op !== "aggregate") {
        report("op", "a window must be followed directly by an aggregate step, which it aggregates over the window");
        return undefined;
      }
      const spec = checkWindow(step, batch, report);
      // Without a valid window, the aggregate is still built, to check its expressions.
      if (!spec) return { plan: keyedPlan("aggs", () => aggregateStage(next.aggs, { keyed }), { stateful: true }), consumes: 1 };
      const emit = step.emit ?? "all";
      const plan = keyedPlan("aggs", () => windowAggregateStage(spec, next.aggs, { keyed, emit }), { stateful: true, slide: spec.slide, emitsChanges: emit === "changes" });
      return { plan, consumes: 1 };
    }
    case "aggregate":
      return one(keyedPlan("aggs", () => aggregateStage(step.aggs, { keyed }), { stateful: false }));
    case "runningAggregate": {
      const ttl = step.ttl === undefined ? undefined : checkIdleTime(step.ttl, "ttl", batch, report);
      if (step.ttl !== undefined && !ttl) return undefined;
      return one(keyedPlan("aggs", () => runningAggregateStage(step.aggs, { keyed, ttl }), { stateful: true }));
    }
    case "countByValue":
      return one(keyedPlan("of", () => countByValueStage(step.of), { stateful: false, keyedAfter: true }));
    case "distinct":
      if (step.of === undefined && !keyed) {
        report("of", "distinct needs \"of\" (the value to make distinct, e.g. \"user\") or a keyBy before it");
        return undefined;
      }
      return one(keyedPlan("of", () => distinctStage(step.of), { stateful: false, keyedAfter: true }));
    case "countByWindow": {
      const spec = checkWindow(step, batch, report);
      const emit = step.emit ?? "all";
      return one(spec && keyedPlan("op", () => countByWindowStage(spec, emit), { stateful: true, slide: spec.slide, keyedAfter: false, emitsChanges: emit === "changes" }));
    }
    case "reduceByWindow": {
      const spec = checkWindow(step, batch, report);
      const emit = step.emit ?? "all";
      return one(spec && keyedPlan("aggs", () => reduceByWindowStage(spec, step.aggs, emit), { stateful: true, slide: spec.slide, keyedAfter: false, emitsChanges: emit === "changes" }));
    }
    case "countByValueAndWindow": {
      const spec = checkWindow(step, batch, report);
      const emit = step.emit ?? "all";
      return one(spec && keyedPlan("of", () => countByValueAndWindowStage(step.of, spec, emit), { stateful: true, slide: spec.slide, keyedAfter: true, emitsChanges: emit === "changes" }));
    }
    case "eventWindow": {
      if (step.time === undefined) {
        report("time", "give \"time\" (e.g. \"ts\"), or declare the input stream with an \"eventTimeField\" for it to default to");
        return undefined;
      }
      const time = step.time;
      const checked = checkEventWindow(step, report);
      const idleTimeout = step.idleTimeout === undefined ? undefined : checkIdleTime(step.idleTimeout, "idleTimeout", batch, report);
      if (!checked || (step.idleTimeout !== undefined && !idleTimeout)) return undefined;
      const spec = { time, aggs: step.aggs, emit: step.emit ?? "final", keyed, ...checked, ...(idleTimeout ? { idleTimeout } : {}) };
      return one(keyedPlan("aggs", () => eventWindowStage(spec), { stateful: true }));
    }
    case "mapWithState": {
      const timeout = step.timeout === undefined ? undefined : checkIdleTime(step.timeout, "timeout", batch, report);
      if (step.timeout !== undefined && !timeout) return undefined;
      const spec = { init: step.init, update: step.update, emit: step.emit, timeout, onTimeout: step.onTimeout };
      return one(keyedPlan("update", () => mapWithStateStage(spec), { stateful: true, keyedAfter: step.emit === undefined ? keyed : false }));
    }
    case "trainLogisticRegression": {
      const spec = {
        features: step.features,
        label: step.label,
        stepSize: step.stepSize ?? 0.1,
        iterations: step.iterations ?? 50,
        regParam: step.regParam ?? 0,
        miniBatchFraction: step.miniBatchFraction ?? 1,
        fitIntercept: step.intercept ?? true,
        seed: step.seed ?? 0,
      };
      return one(keyedPlan("features", () => trainLogisticRegressionStage(spec), { stateful: true, keyedAfter: false }));
    }
    case "topK":
      return one({ op: step.op, kind: "final", field: "by", build: () => topKOperator(step.k, step.by, step.order ?? "desc") });
    case "sort":
      return one({ op: step.op, kind: "final", field: "by", build: () => sortOperator(step.by, step.order ?? "asc", step.limit) });
  }
}

/** Builds the step once, so that every expression is compiled (and every mistake found) now. */
export function tryBuild(plan: StepPlan, at: (field: string) => string, problems: Problem[]): boolean {
  if (plan.kind === "union" || plan.kind === "repartition") return true;
  try {
    plan.build();
    return true;
  } catch (error) {
    const field = error instanceof StepFieldError ? error.field : plan.field;
    problems.push({ path: at(field), message: error instanceof Error ? error.message : String(error) });
    return false;
  }
}

function checkWindow(step: WindowFields, batch: Duration, report: ReportProblem): WindowSpec | undefined {
  const length = Duration.parse(step.length);
  const slide = step.slide === undefined ? batch : Duration.parse(step.slide);
  let ok = true;
  const problem = (field: string, message: string) => {
    report(field, message);
    ok = false;
  };
  if (!length) problem("length", `${JSON.stringify(step.length)} is not a duration; write e.g. "30s"`);
  else if (!length.isMultipleOf(batch)) problem("length", `window length ${length} must be a positive multiple of the batch interval ${batch}`);
  if (!slide) problem("slide", `${JSON.stringify(step.slide)} is not a duration; write e.g. "1s"`);
  else if (!slide.isMultipleOf(batch)) problem("slide", `window slide ${slide} must be a positive multiple of the batch interval ${batch}`);
  if (length && slide && slide.ms > length.ms) problem("slide", `window slide ${slide} must not be longer than its length ${length}; make the window longer or the slide shorter`);
  return ok && length && slide ? { length, slide, batchInterval: batch } : undefined;
}

/** An event-time window: either `length` (and `slide`) or `gap`, and a `lateness` (default 0). */
function checkEventWindow(step: EventWindowStep, report: ReportProblem): { shape: EventWindowShape; lateness: Duration } | undefined {
  let ok = true;
  const problem = (field: string, message: string) => {
    report(field, message);
    ok = false;
  };
  const positive = (field: string, text: string | undefined, example: string): Duration | undefined => {
    if (text === undefined) return undefined;
    const d = Duration.parse(text);
    if (!d) problem(field, `${JSON.stringify(text)} is not a duration; write e.g. "${example}"`);
    else if (d.ms === 0) problem(field, `${field} must be more than 0`);
    return d && d.ms > 0 ? d : undefined;
  };
  const length = positive("length", step.length, "1m");
  const slide = positive("slide", step.slide, "10s");
  const gap = positive("gap", step.gap, "30s");
  const lateness = step.lateness === undefined ? Duration.ofMs(0) : Duration.parse(step.lateness);
  if (!lateness) problem("lateness", `${JSON.stringify(step.lateness)} is not a duration; write e.g. "5s" (or "0s" for none)`);
  if (step.gap !== undefined && (step.length !== undefined || step.slide !== undefined)) {
    problem("gap", "give either \"gap\" (session windows) or \"length\" with an optional \"slide\" (tumbling or sliding), not both");
  } else if (step.gap === undefined && step.length === undefined) {
    problem("length", "eventWindow needs \"length\" (tumbling or sliding windows, e.g. \"1m\") or \"gap\" (session windows, e.g. \"30s\")");
  }
  if (length && slide && (slide.ms > length.ms || length.ms % slide.ms !== 0)) {
    problem("slide", `slide ${slide} must divide the window length ${length} evenly (and not be longer); e.g. length "1m" with slide "10s"`);
  }
  if (!ok || !lateness) return undefined;
  if (gap) return { shape: { kind: "session", gap }, lateness };
  return length ? { shape: { kind: "fixed", length, slide: slide ?? length }, lateness } : undefined;
}

/** A timeout or ttl: a duration of at least one batch interval (state is only looked at once a batch). */
function checkIdleTime(text: string, field: string, batch: Duration, report: ReportProblem): Duration | undefined {
  const idle = Duration.parse(text);
  if (!idle) report(field, `${JSON.stringify(text)} is not a duration; write e.g. "30s" or "10m"`);
  else if (idle.ms < batch.ms) report(field, `${field} ${idle} must be at least the batch interval ${batch}`);
  return idle && idle.ms >= batch.ms ? idle : undefined;
}
