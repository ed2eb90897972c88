/**
 * Turns a job definition into a JobPlan: checks what the schema cannot (durations, step order, CEL
 * expressions) and names each problem by its JSON path with the fix. Nothing is started here.
 */
import type { z } from "zod";
import { formatPath, invalidJob, type Problem } from "../errors.js";
import { withPropertyKeys } from "../expr/property-keys.js";
import type { KeyedStage } from "../operators/keyed-stage.js";
import type { NarrowOperator, Operator } from "../operators/operator.js";
import { Duration } from "../time.js";
import { jobDefinition, OPERATOR_NAMES, type JobDefinition } from "./job-definition.js";
import { planSteps, type StepPlacement } from "./plan-steps.js";

/**
 * A checked job, cut into the stages a batch runs in:
 *
 *   mapOperators    the narrow steps at the front (map, filter, flatMap, keyBy, sample): per input
 *                   partition, each input (the job's own, a union's or join's others) with its own
 *   keyed           the first keyed step (aggregate, window + aggregate, runningAggregate,
 *                   mapWithState, ...; see plan-steps.ts): partial per map partition, then merged per
 *                   key partition, where its state lives
 *   finalOperators  every step after it (or from the first topK or sort when there is no keyed
 *                   step): on the whole batch's rows, in partition order
 *
 * The builders make fresh operators with empty state each time they are called.
 */
export interface JobPlan {
  readonly definition: JobDefinition;
  readonly batchInterval: Duration;
  /** How often the job emits: its window's slide, or every batch. */
  readonly slide: Duration;
  /** The streams the job reads: its `input`, then the `with` streams of its union, join or cogroup. */
  readonly inputs: readonly string[];
  /** How many partitions the keyed step runs in, when a repartition step says (else: the input's). */
  readonly reducePartitions: number | undefined;
  /** The map stage's operators for input `input` (an index into `inputs`; default 0). */
  mapOperators(input?: number): NarrowOperator[];
  keyed(): KeyedStage | undefined;
  /** Applied to each reduce partition's rows before they are shipped (a pushed-down topK). */
  reduceOperators(): Operator[];
  finalOperators(): Operator[];
  /** Where each step runs (see plan-steps.ts). */
  readonly placements: readonly StepPlacement[];
}

const MIN_BATCH_INTERVAL = Duration.ofMs(50);

/**
 * The largest job definition, as JSON text. Parsing and checking its expressions runs on the server's
 * event loop at registration, so its size bounds how long that can take (see expression-limits.ts).
 */
export const MAX_DEFINITION_CHARS = 32 * 1024;

/**
 * The definition's length as JSON text; 0 for one too deep to serialize, which the schema then
 * refuses by name (it reads no deeper than the fields it knows).
 */
export function definitionSize(input: unknown): number {
  try {
    return (JSON.stringify(input) ?? "").length;
  } catch {
    return 0;
  }
}

/** Validates `input` as a job definition; throws EngineError INVALID_JOB listing every problem. */
export function compileJob(input: unknown): JobPlan {
  // Field names in the definition then read rows as fast on a worker (sent the definition by
  // structured clone) as anywhere else; see property-keys.ts. Only a valid definition is copied.
  const definition = withPropertyKeys(parseDefinition(input)) as JobDefinition;
  const problems: Problem[] = [];
  const batchInterval = checkBatchInterval(definition.batchInterval, problems);
  const stages = batchInterval ? planSteps(definition.steps, batchInterval, problems) : undefined;
  const inputs = [definition.input, ...(stages?.otherInputs ?? [])];
  if (definition.output !== undefined && inputs.includes(definition.output)) {
    problems.push({ path: "output", message: `a job cannot write to a stream it reads ("${definition.output}"); name another stream` });
  }
  if (problems.length > 0 || !batchInterval || !stages) throw invalidJob(problems);
  return {
    definition,
    batchInterval,
    slide: stages.slide ?? batchInterval,
    inputs,
    reducePartitions: stages.reducePartitions,
    mapOperators: (input = 0) => (stages.map[input] ?? []).map((build) => build()),
    keyed: () => stages.keyed?.(),
    reduceOperators: () => stages.reduce.map((build) => build()),
    finalOperators: () => stages.final.map((build) => build()),
    placements: stages.placements,
  };
}

function parseDefinition(input: unknown): JobDefinition {
  const size = definitionSize(input);
  if (size > MAX_DEFINITION_CHARS) {
    throw invalidJob([{ path: "", message: `the definition is ${size} characters of JSON; a job definition may have at most ${MAX_DEFINITION_CHARS} (its expressions are parsed and checked when it is registered)` }]);
  }
  const unknownOp = findUnknownOperator(input);
  if (unknownOp) throw invalidJob([unknownOp]);
  const parsed = jobDefinition.safeParse(input, { reportInput: true });
  if (!parsed.success) {
    throw invalidJob(parsed.error.issues.map((issue) => ({ path: formatPath(issue.path), message: explain(issue) })));
  }
  return parsed.data;
}

/** Rewords the schema's two most common complaints so that they say what to do. */
function explain(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") {
    return `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}; remove ${issue.keys.length > 1 ? "them" : "it"} or check the spelling`;
  }
  if (issue.code === "invalid_type" && issue.input === undefined) return `is required (${issue.expected})`;
  if (issue.code === "invalid_type" && issue.message.startsWith("Invalid input")) return `must be ${article(issue.expected)} (got ${jsonType(issue.input)})`;
  return issue.message;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** The JSON type of a value, as a user who wrote it would name it. */
function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return article(typeof value);
}

/** A clearer message than the schema's for the most common mistake: a misspelt `op`. */
function findUnknownOperator(input: unknown): Problem | undefined {
  const steps = (input as { steps?: unknown } | null)?.steps;
  if (!Array.isArray(steps)) return undefined;
  for (const [i, s] of steps.entries()) {
    const op = (s as { op?: unknown } | null)?.op;
    if (typeof op !== "string" || !(OPERATOR_NAMES as string[]).includes(op)) {
      return { path: `steps[${i}].op`, message: `unknown operator ${JSON.stringify(op)}; use one of ${OPERATOR_NAMES.join(", ")}` };
    }
  }
  return undefined;
}

function checkBatchInterval(text: string, problems: Problem[]): Duration | undefined {
  const interval = Duration.parse(text);
  if (!interval) problems.push({ path: "batchInterval", message: `${JSON.stringify(text)} is not a duration; write e.g. "100ms", "1s" or "2s"` });
  else if (interval.ms < MIN_BATCH_INTERVAL.ms) problems.push({ path: "batchInterval", message: `must be at least ${MIN_BATCH_INTERVAL}` });
  return interval && interval.ms >= MIN_BATCH_INTERVAL.ms ? interval : undefined;
}
