/**
 * The other inputs of a job: the `with` streams of a union, join or cogroup, each with the narrow
 * steps its rows go through in the map stage before they meet the job's own rows. Checked here: where
 * the step stands (before any aggregation; one such step per job) and that the inputs agree on keys
 * (a union's inputs keyed alike; both sides of a join keyed).
 */
import type { Problem } from "../errors.js";
import type { NarrowOperator } from "../operators/operator.js";
import type { Duration } from "../time.js";
import type { Branch, Step } from "./job-definition.js";
import { describeStep, tryBuild } from "./step-plans.js";

export interface OtherInput {
  readonly input: string;
  /** Its narrow steps, in order. */
  readonly map: (() => NarrowOperator)[];
}

export interface CombineContext {
  readonly batch: Duration;
  /** Whether the job's own rows carry a `key` at this step. */
  readonly keyed: boolean;
  /** Whether only narrow steps came before. */
  readonly narrowPrefix: boolean;
  /** Whether an earlier step already combined inputs. */
  readonly combined: boolean;
}

type CombineStep = Extract<Step, { op: "union" | "join" | "cogroup" }>;

/** The other inputs of `step`, or undefined (with the problems reported) when it cannot stand here. */
export function planOtherInputs(step: CombineStep, ctx: CombineContext, at: (field: string) => string, problems: Problem[]): OtherInput[] | undefined {
  if (!ctx.narrowPrefix) {
    problems.push({ path: at("op"), message: `${step.op} must come before any aggregation, topK or sort: it combines the inputs' rows as they arrive` });
    return undefined;
  }
  if (ctx.combined) {
    problems.push({ path: at("op"), message: "a job combines its inputs once: name every other stream in one union's \"with\", or feed a second job from this job's output stream" });
    return undefined;
  }
  const branches = step.op === "union" ? step.with.map((b, j) => ({ branch: b, path: at(`with[${j}]`) })) : [{ branch: step.with, path: at("with") }];
  const planned: OtherInput[] = [];
  for (const { branch, path } of branches) {
    const other = planBranch(branch, ctx.batch, path, problems);
    if (!other) continue;
    if (step.op === "union" && other.keyed !== ctx.keyed) {
      const fix = ctx.keyed ? "the job's rows are keyed here (a keyBy came before the union), so end this input's steps with a keyBy too" : "the job's rows are not keyed here, so move this input's keyBy after the union";
      problems.push({ path: `${path}.steps`, message: `every input of a union must be keyed alike: ${fix}` });
    } else if (step.op !== "union" && !other.keyed) {
      problems.push({ path: `${path}.steps`, message: `${step.op} matches rows by key: end this input's steps with a keyBy, e.g. {"op": "keyBy", "key": "user"}` });
    }
    planned.push(other);
  }
  return planned.length === branches.length ? planned : undefined;
}

function planBranch(branch: Branch, batch: Duration, path: string, problems: Problem[]): (OtherInput & { keyed: boolean }) | undefined {
  const before = problems.length;
  const steps = branch.steps as Step[];
  const map: (() => NarrowOperator)[] = [];
  let keyed = false;
  for (const [k] of steps.entries()) {
    const at = (field: string) => `${path}.steps[${k}]${field === "" ? "" : `.${field}`}`;
    const described = describeStep(steps, k, { batch, keyed }, (field, message) => problems.push({ path: at(field), message }));
    if (!described || described.plan.kind !== "narrow") continue;
    if (described.plan.keyedAfter !== undefined) keyed = described.plan.keyedAfter;
    if (tryBuild(described.plan, at, problems)) map.push(described.plan.build);
  }
  return problems.length === before ? { input: branch.input, map, keyed } : undefined;
}
