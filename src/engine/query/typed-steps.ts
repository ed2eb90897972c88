/**
 * A job's expressions checked against the fields its input stream declares in its schema, when the job
 * is registered: an expression that reads a field the schema does not declare, or uses a field as
 * another type (`text + 1` on a string `text`), and a filter whose `where` is not a bool, are refused
 * with the JSON path of the step and the field's name, instead of failing on every row once it runs.
 *
 * Rows are followed from the input through the narrow steps (map, filter, flatMap with `as`, keyBy,
 * sample, repartition), their fields' types carried along; the first keyed step's expressions are
 * checked too. After it (and after a union, join or flatMap without `as`) rows have a shape this does
 * not follow, so later steps are checked only when they run.
 */
import { ExpressionError, expressionType, freeVariables } from "../expr/cel-expression.js";
import type { Problem } from "../errors.js";
import type { StreamDefinition } from "../../store/types.js";
import type { Aggregations, JobDefinition, Step } from "./job-definition.js";

/** CEL type names of a row's fields, by name. */
type FieldTypes = Map<string, string>;

/** What `row` is in a row expression: the whole row. */
const ROW = "row";

/**
 * The types the stream's schema declares for its events' top-level fields (JSON numbers are CEL
 * doubles), or undefined when it declares none (no `properties`), so that nothing can be checked. The
 * stream's key, id and event-time fields are fields too, of whatever type.
 */
export function declaredFieldTypes(stream: Pick<StreamDefinition, "schema" | "keyField" | "idField" | "eventTimeField">): FieldTypes | undefined {
  const properties = stream.schema?.properties;
  if (properties === null || typeof properties !== "object" || Array.isArray(properties)) return undefined;
  // With patternProperties, fields not named may still be declared: nothing is known for sure.
  if (stream.schema?.patternProperties !== undefined) return undefined;
  const fields: FieldTypes = new Map();
  for (const [name, property] of Object.entries(properties as Record<string, unknown>)) fields.set(name, celTypeOf(property));
  for (const name of [stream.keyField, stream.idField, stream.eventTimeField]) if (name !== undefined && !fields.has(name)) fields.set(name, "dyn");
  return fields;
}

const JSON_TO_CEL: Record<string, string> = { string: "string", number: "double", integer: "double", boolean: "bool", array: "list", object: "map", null: "null_type" };

function celTypeOf(property: unknown): string {
  const type = (property as { type?: unknown } | null)?.type;
  return typeof type === "string" ? (JSON_TO_CEL[type] ?? "dyn") : "dyn";
}

/** Problems of `definition`'s expressions against `fields`, the fields its input stream `stream` declares. */
export function checkStepTypes(definition: JobDefinition, stream: string, declared: FieldTypes): Problem[] {
  const problems: Problem[] = [];
  let fields: FieldTypes | undefined = new Map(declared);
  const steps = definition.steps as readonly Step[];
  for (let i = 0; i < steps.length && fields; i++) {
    const step = steps[i]!;
    const at = (field: string) => `steps[${i}].${field}`;
    const typeOf = (source: string, path: string): string | undefined => {
      const problem = typeProblem(source, fields!, stream, declared);
      if (problem) problems.push({ path: at(path), message: problem });
      return problem ? undefined : expressionType(source, withRow(fields!));
    };
    switch (step.op) {
      case "filter": {
        const type = typeOf(step.where, "where");
        if (type !== undefined && type !== "bool" && type !== "dyn") {
          problems.push({ path: at("where"), message: `must give a bool (true keeps the row), but ${JSON.stringify(step.where)} gives ${article(type)}${fieldsNote(step.where, fields)}; compare it, e.g. ${JSON.stringify(`${step.where} > 0`)}` });
        }
        break;
      }
      case "map": {
        const set = step.set ?? step.project ?? {};
        // project keeps only the fields it names (a row's key too, unless it names "key").
        const next: FieldTypes = step.set ? new Map(fields) : new Map();
        for (const [name, source] of Object.entries(set)) next.set(name, typeOf(source, `${step.set ? "set" : "project"}.${name}`) ?? "dyn");
        fields = next;
        break;
      }
      case "flatMap": {
        const type = typeOf(step.expr, "expr");
        if (type !== undefined && type !== "list" && type !== "dyn") {
          problems.push({ path: at("expr"), message: `must give a list (each element becomes a row), but ${JSON.stringify(step.expr)} gives ${article(type)}${fieldsNote(step.expr, fields)}` });
        }
        fields = step.as === undefined ? undefined : new Map([[step.as, "dyn"]]);
        break;
      }
      case "keyBy":
        fields.set("key", typeOf(step.key, "key") ?? "dyn");
        break;
      case "sample":
      case "repartition":
        break;
      case "window": {
        const next = steps[i + 1];
        if (next?.op === "aggregate") checkAggregations(next.aggs, `steps[${i + 1}].aggs`, fields, stream, declared, problems);
        fields = undefined;
        break;
      }
      case "aggregate":
      case "runningAggregate":
      case "reduceByWindow":
        checkAggregations(step.aggs, at("aggs"), fields, stream, declared, problems);
        fields = undefined;
        break;
      case "eventWindow":
        if (step.time !== undefined) typeOf(step.time, "time");
        checkAggregations(step.aggs, at("aggs"), fields, stream, declared, problems);
        fields = undefined;
        break;
      case "countByValue":
      case "countByValueAndWindow":
      case "distinct":
        if (step.of !== undefined) typeOf(step.of, "of");
        fields = undefined;
        break;
      default:
        // union, join, cogroup (other inputs' rows), mapWithState (its own variables), and the rest.
        fields = undefined;
    }
  }
  return problems;
}

function checkAggregations(aggs: Aggregations, path: string, fields: FieldTypes, stream: string, declared: FieldTypes, problems: Problem[]): void {
  for (const [name, agg] of Object.entries(aggs)) {
    if (agg.of === undefined) continue;
    const problem = typeProblem(agg.of, fields, stream, declared);
    if (problem) problems.push({ path: `${path}.${name}.of`, message: problem });
  }
}

function withRow(fields: FieldTypes): FieldTypes {
  return new Map([...fields, [ROW, "map"]]);
}

/** Why `source` cannot run on rows with `fields`, naming the field; undefined when it can. */
function typeProblem(source: string, fields: FieldTypes, stream: string, declared: FieldTypes): string | undefined {
  let names: string[];
  try {
    names = freeVariables(source);
  } catch {
    return undefined; // a syntax error: the compile names it
  }
  for (const name of names) {
    if (name === ROW || fields.has(name)) continue;
    const known = [...fields.keys()].sort().join(", ") || "none";
    if (declared.has(name)) return `reads field '${name}', which the rows no longer have at this step (they have: ${known}); an earlier step left it out`;
    return `reads field '${name}', which stream "${stream}" does not declare in its schema (the rows have: ${known}); check the spelling, or read a field the schema does not declare as row.${name}`;
  }
  try {
    expressionType(source, withRow(fields));
  } catch (error) {
    if (!(error instanceof ExpressionError)) throw error;
    return `${error.message}${fieldsNote(source, fields)}`;
  }
  return undefined;
}

/** " (text is a string, ...)" for the typed fields `source` reads. */
function fieldsNote(source: string, fields: FieldTypes): string {
  let names: string[];
  try {
    names = freeVariables(source).filter((name) => name !== ROW && fields.has(name) && fields.get(name) !== "dyn");
  } catch {
    return "";
  }
  if (names.length === 0) return "";
  return ` (${names.map((name) => `field '${name}' is ${article(fields.get(name)!)}`).join(", ")})`;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
