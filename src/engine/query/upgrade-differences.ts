/**
 * Whether a running job's state can carry over to a new definition of it (PUT /v1/jobs/:id). State
 * lives in the job's keyed stage, per key partition, per input position; what feeds it (narrow steps
 * before it) and what reads it (steps after it) may change freely:
 *
 *   kept      a filter, map, flatMap or sample added, removed or changed before the keyed step; any
 *             step after it (a new output field, another k for topK); a longer ttl or timeout
 *   refused   a different key, keyed step (window length or slide, aggregate set, operator), batch
 *             interval, key partitions, or inputs: the state would not mean what the new plan reads
 *
 * Each refused difference is named by the JSON path of the new definition, with both values.
 */
import { Duration } from "../time.js";
import type { Step } from "./job-definition.js";
import type { JobPlan } from "./compile-job.js";

/** One reason a job's state cannot be kept under its new definition. */
export interface UpgradeDifference {
  readonly path: string;
  readonly was: unknown;
  readonly now: unknown;
  readonly message: string;
}

/** The shape of a job's state that a new definition must keep: see the header. */
export interface StateShape {
  readonly plan: JobPlan;
  /** Its key partitions (0: no keyed stage). */
  readonly partitions: number;
  /** Its input slots as `stream/partition`, in order. */
  readonly slots: readonly string[];
}

/** Fields of a keyed step whose value may grow (or go away: no limit) without losing state. */
const LONGER_IS_COMPATIBLE = new Set(["ttl", "timeout"]);

export function upgradeDifferences(was: StateShape, now: StateShape): UpgradeDifference[] {
  const out: UpgradeDifference[] = [];
  const differ = (path: string, a: unknown, b: unknown, message: string) => out.push({ path, was: a ?? null, now: b ?? null, message });
  if (!same(was.slots, now.slots)) differ("input", was.plan.inputs, now.plan.inputs, "the job would read other inputs (streams or partitions), so its input position does not carry over");
  const before = keyedSteps(was.plan);
  const after = keyedSteps(now.plan);
  if (!before && !after) return out;
  if (!before || !after) {
    differ("steps", before?.steps[0]?.op, after?.steps[0]?.op, after ? "the job would gain a keyed step; it has no state to start it from" : "the job would lose its keyed step and the state it keeps");
    return out;
  }
  if (was.plan.batchInterval.ms !== now.plan.batchInterval.ms) differ("batchInterval", was.plan.definition.batchInterval, now.plan.definition.batchInterval, "the batch interval sets how the keyed state's windows are cut");
  if (was.partitions !== now.partitions) differ("steps", was.partitions, now.partitions, `the keyed state is held in ${was.partitions} key partitions; the new definition would use ${now.partitions} (repartition)`);
  if (before.key !== after.key) differ(after.keyPath ?? "steps", before.key, after.key, "a different key groups the state differently");
  if (before.steps.length !== after.steps.length || before.steps[0]!.op !== after.steps[0]!.op) {
    differ(`steps[${after.at}].op`, before.steps.map((s) => s.op).join(" + "), after.steps.map((s) => s.op).join(" + "), "a different keyed step keeps different state");
    return out;
  }
  for (const [i, step] of after.steps.entries()) {
    const old = before.steps[i]! as Record<string, unknown>;
    const fresh = step as Record<string, unknown>;
    for (const field of new Set([...Object.keys(old), ...Object.keys(fresh)])) {
      if (same(old[field], fresh[field])) continue;
      if (LONGER_IS_COMPATIBLE.has(field) && longerOrNone(old[field], fresh[field])) continue;
      differ(`steps[${after.at + i}].${field}`, old[field], fresh[field], changeMessage(step.op, field));
    }
  }
  return out;
}

function changeMessage(op: string, field: string): string {
  if (field === "length" || field === "slide") return `the ${op} step's ${field} sets which batches its state holds`;
  if (field === "aggs") return "a different aggregate set keeps different values per key";
  if (LONGER_IS_COMPATIBLE.has(field)) return `a shorter (or newly set) ${field} would drop keys that the running job keeps; only a longer one (or none) keeps the state`;
  return `the ${op} step's ${field} shapes the state it keeps`;
}

/** The job's keyed step (a window with its aggregate counts as one) and the key it groups by. */
function keyedSteps(plan: JobPlan): { at: number; steps: Step[]; key: string | undefined; keyPath: string | undefined } | undefined {
  const placements = plan.placements;
  const i = placements.findIndex((p) => p.stage === "keyed");
  if (i < 0) return undefined;
  const at = placements[i]!.step;
  const end = placements[i + 1]?.step ?? plan.definition.steps.length;
  const steps = plan.definition.steps.slice(at, end);
  let key: string | undefined;
  let keyPath: string | undefined;
  for (const [j, step] of plan.definition.steps.slice(0, at).entries()) {
    if (step.op === "keyBy") {
      key = String(step.key);
      keyPath = `steps[${j}].key`;
    }
  }
  return { at, steps, key, keyPath };
}

function longerOrNone(was: unknown, now: unknown): boolean {
  if (now === undefined) return true;
  if (was === undefined) return false;
  const a = Duration.parse(String(was));
  const b = Duration.parse(String(now));
  return a !== undefined && b !== undefined && b.ms >= a.ms;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
