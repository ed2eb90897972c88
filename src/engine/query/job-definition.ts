/**
 * The JSON query language: what a user sends to POST /v1/jobs. This file says only what is well
 * formed; meaning (durations, expressions, step order) is checked by compile-job.ts.
 */
import { z } from "zod";
import { COLLECT_LIMIT, DISTINCT_PRECISION } from "../operators/aggregate-set.js";
import { WINDOW_EMIT_MODES } from "../operators/window-changes.js";

/**
 * A stream or job name: what users write, optionally qualified by its tenant as "<tenant>~<name>"
 * (the API qualifies every name it is given; '~' is never part of a name a user writes).
 */
export const TENANT_SEPARATOR = "~";
const NAME = /^(?:[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}~)?[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;
export const resourceName = z
  .string()
  .regex(NAME, "must be 1-64 characters of letters, digits, '-', '_' or '.', starting with a letter or digit");

const expression = z.string().min(1, "must be a CEL expression, e.g. \"size(text) > 0\"");
const fieldName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a field name: a letter or '_' then letters, digits or '_'");
const DURATION_HINT = "must be a duration written as text, such as \"500ms\", \"1s\" or \"30s\"";
const duration = z
  .string({ error: (issue) => (typeof issue.input === "number" ? `${DURATION_HINT}; for ${issue.input} ms write "${issue.input}ms"` : issue.input === undefined ? undefined : DURATION_HINT) })
  .min(1, DURATION_HINT);

export const AGGREGATE_FUNCTIONS = ["count", "sum", "min", "max", "avg", "first", "last", "collect", "approxDistinct"] as const;
export type AggregateFunctionName = (typeof AGGREGATE_FUNCTIONS)[number];

const aggregation = z.strictObject({
  fn: z.enum(AGGREGATE_FUNCTIONS, { error: `must be one of ${AGGREGATE_FUNCTIONS.join(", ")}` }),
  of: expression.optional(),
  /** collect only: how many values to keep (the newest). */
  limit: z.number().int().min(1).max(COLLECT_LIMIT.max).optional(),
  /** approxDistinct only: HyperLogLog precision p (2^p registers). */
  precision: z.number().int().min(DISTINCT_PRECISION.min).max(DISTINCT_PRECISION.max).optional(),
});
const aggregations = z
  .record(fieldName, aggregation)
  .refine((aggs) => Object.keys(aggs).length > 0, "name at least one aggregation, e.g. {\"count\": {\"fn\": \"count\"}}");
const windowFields = { length: duration, slide: duration.optional() };
/** How a windowed aggregate emits each slide (not a windowed join's `window`, which has no emit). */
const windowEmit = { emit: z.enum(WINDOW_EMIT_MODES, { error: `must be one of ${WINDOW_EMIT_MODES.join(", ")}` }).optional() };
const seed = z.number().int().min(0).max(2 ** 31 - 1);

export const mapStep = z.strictObject({
  op: z.literal("map"),
  set: z.record(fieldName, expression).optional(),
  project: z.record(fieldName, expression).optional(),
});
export const filterStep = z.strictObject({ op: z.literal("filter"), where: expression });
export const flatMapStep = z.strictObject({ op: z.literal("flatMap"), expr: expression, as: fieldName.optional() });
export const keyByStep = z.strictObject({ op: z.literal("keyBy"), key: expression });
export const sampleStep = z.strictObject({
  op: z.literal("sample"),
  fraction: z.number().gt(0, "must be more than 0").max(1, "must be at most 1"),
  seed: seed.optional(),
});
export const windowStep = z.strictObject({ op: z.literal("window"), ...windowFields, ...windowEmit });
export const aggregateStep = z.strictObject({ op: z.literal("aggregate"), aggs: aggregations });
export const runningAggregateStep = z.strictObject({ op: z.literal("runningAggregate"), aggs: aggregations, ttl: duration.optional() });
export const countByValueStep = z.strictObject({ op: z.literal("countByValue"), of: expression });
export const distinctStep = z.strictObject({ op: z.literal("distinct"), of: expression.optional() });
export const countByWindowStep = z.strictObject({ op: z.literal("countByWindow"), ...windowFields, ...windowEmit });
export const reduceByWindowStep = z.strictObject({ op: z.literal("reduceByWindow"), ...windowFields, ...windowEmit, aggs: aggregations });
export const countByValueAndWindowStep = z.strictObject({ op: z.literal("countByValueAndWindow"), of: expression, ...windowFields, ...windowEmit });
export const EMIT_MODES = ["final", "update"] as const;
export const eventWindowStep = z.strictObject({
  op: z.literal("eventWindow"),
  /**
   * CEL giving the event time: ms since the epoch or ISO-8601 text. Default: the input stream's
   * event-time field (filled in at registration; see event-time-default.ts).
   */
  time: expression.optional(),
  length: duration.optional(),
  slide: duration.optional(),
  gap: duration.optional(),
  lateness: duration.optional(),
  /** After this long (processing time) without events, the watermark advances with processing time. */
  idleTimeout: duration.optional(),
  emit: z.enum(EMIT_MODES, { error: `must be one of ${EMIT_MODES.join(", ")}` }).optional(),
  aggs: aggregations,
});
export const mapWithStateStep = z.strictObject({
  op: z.literal("mapWithState"),
  init: expression.optional(),
  update: expression,
  emit: expression.optional(),
  timeout: duration.optional(),
  onTimeout: expression.optional(),
});
export const trainLogisticRegressionStep = z.strictObject({
  op: z.literal("trainLogisticRegression"),
  features: z.array(expression).min(1, "name at least one feature, e.g. [\"text.contains('free')\"]").max(1000),
  label: expression,
  stepSize: z.number().gt(0, "must be more than 0").optional(),
  iterations: z.number().int().min(1).max(1000).optional(),
  regParam: z.number().min(0).optional(),
  miniBatchFraction: z.number().gt(0, "must be more than 0").max(1, "must be at most 1").optional(),
  intercept: z.boolean().optional(),
  seed: seed.optional(),
});
export const topKStep = z.strictObject({
  op: z.literal("topK"),
  k: z.number().int().min(1).max(10_000),
  by: fieldName,
  order: z.enum(["desc", "asc"]).optional(),
});
export const sortStep = z.strictObject({
  op: z.literal("sort"),
  by: fieldName,
  order: z.enum(["asc", "desc"]).optional(),
  limit: z.number().int().min(1).max(100_000).optional(),
});

/** The steps another input of a job may run before it is combined: the narrow ones. */
export const BRANCH_OPERATORS = ["map", "filter", "flatMap", "keyBy", "sample"] as const;
const branchStep = z.discriminatedUnion("op", [mapStep, filterStep, flatMapStep, keyByStep, sampleStep], {
  error: (issue) => (issue.code === "invalid_union" ? `an input's steps may only be ${BRANCH_OPERATORS.join(", ")}; aggregate after combining` : undefined),
});
/** Another stream a job reads, with the narrow steps its rows go through before they are combined. */
export const branch = z.strictObject({ input: resourceName, steps: z.array(branchStep).max(100).default([]) });
export const JOIN_TYPES = ["inner", "left", "right", "full"] as const;
const windowSpec = z.strictObject(windowFields);

export const unionStep = z.strictObject({ op: z.literal("union"), with: z.array(branch).min(1, "name at least one other input, e.g. [{\"input\": \"views\"}]").max(7) });
export const joinStep = z.strictObject({
  op: z.literal("join"),
  with: branch,
  type: z.enum(JOIN_TYPES, { error: `must be one of ${JOIN_TYPES.join(", ")}` }).optional(),
  window: windowSpec.optional(),
});
export const cogroupStep = z.strictObject({ op: z.literal("cogroup"), with: branch, window: windowSpec.optional() });
export const repartitionStep = z.strictObject({ op: z.literal("repartition"), partitions: z.number().int().min(1).max(256) });

const STEP_SCHEMAS = {
  map: mapStep,
  filter: filterStep,
  flatMap: flatMapStep,
  keyBy: keyByStep,
  sample: sampleStep,
  union: unionStep,
  repartition: repartitionStep,
  join: joinStep,
  cogroup: cogroupStep,
  window: windowStep,
  aggregate: aggregateStep,
  runningAggregate: runningAggregateStep,
  countByValue: countByValueStep,
  distinct: distinctStep,
  countByWindow: countByWindowStep,
  reduceByWindow: reduceByWindowStep,
  countByValueAndWindow: countByValueAndWindowStep,
  eventWindow: eventWindowStep,
  mapWithState: mapWithStateStep,
  trainLogisticRegression: trainLogisticRegressionStep,
  topK: topKStep,
  sort: sortStep,
} as const;
export const OPERATOR_NAMES = Object.keys(STEP_SCHEMAS) as (keyof typeof STEP_SCHEMAS)[];

export const step = z.discriminatedUnion("op", [
  mapStep,
  filterStep,
  flatMapStep,
  keyByStep,
  sampleStep,
  unionStep,
  repartitionStep,
  joinStep,
  cogroupStep,
  windowStep,
  aggregateStep,
  runningAggregateStep,
  countByValueStep,
  distinctStep,
  countByWindowStep,
  reduceByWindowStep,
  countByValueAndWindowStep,
  eventWindowStep,
  mapWithStateStep,
  trainLogisticRegressionStep,
  topKStep,
  sortStep,
]);

const START_FROM_HINT = 'must be "latest", "earliest" or {"time": "<ISO-8601 time>"}, e.g. {"time": "2026-12-01T10:00:00Z"}';
/** Where a new job starts reading: new events only, all its inputs retain, or from a time on. */
const startFrom = z.union(
  [
    z.enum(["latest", "earliest"]),
    z.strictObject({ time: z.iso.datetime({ offset: true, error: 'must be an ISO-8601 time with a zone, e.g. "2026-12-01T10:00:00Z"' }) }, { error: START_FROM_HINT }),
  ],
  { error: START_FROM_HINT },
);
export type StartFrom = z.infer<typeof startFrom>;

/** Steps in one job: each is compiled at registration and run on every batch. */
export const MAX_STEPS = 64;

export const jobDefinition = z.strictObject({
  name: resourceName,
  input: resourceName,
  batchInterval: duration.default("1s"),
  startFrom: startFrom.default("latest"),
  steps: z.array(step).min(1, "a job needs at least one step").max(MAX_STEPS, `a job may have at most ${MAX_STEPS} steps; write the rest to an output stream and read it in a second job`),
  /** A stream that also receives every output row, so one job can feed another. */
  output: resourceName.optional(),
});

export type JobDefinition = z.infer<typeof jobDefinition>;
export type Step = z.infer<typeof step>;
export type MapStep = z.infer<typeof mapStep>;
export type WindowStep = z.infer<typeof windowStep>;
/** The window fields of window, countByWindow, reduceByWindow and countByValueAndWindow. */
export type WindowFields = Pick<WindowStep, "length" | "slide">;
export type EventWindowStep = z.infer<typeof eventWindowStep>;
export type Branch = z.infer<typeof branch>;
export type JoinType = (typeof JOIN_TYPES)[number];
export type AggregateStep = z.infer<typeof aggregateStep>;
export type Aggregations = z.infer<typeof aggregations>;
export type TopKStep = z.infer<typeof topKStep>;
