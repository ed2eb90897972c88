/**
 * The streams a stored job definition reads, without compiling it: its `input`, then the `with`
 * streams of its union, join or cogroup (a job has at most one; compile-job.ts checks that), in the
 * order JobPlan.inputs gives them. `paths` says where each is named, for error messages.
 */
interface StoredStep {
  readonly op?: unknown;
  readonly with?: { readonly input?: unknown } | readonly { readonly input?: unknown }[];
}

export function jobInputs(definition: Record<string, unknown>): { names: string[]; paths: string[] } {
  const names = [String(definition.input)];
  const paths = ["input"];
  const steps = (Array.isArray(definition.steps) ? definition.steps : []) as StoredStep[];
  const at = steps.findIndex((s) => s.op === "union" || s.op === "join" || s.op === "cogroup");
  const combine = steps[at];
  if (combine?.with !== undefined) {
    const others = Array.isArray(combine.with) ? combine.with : [combine.with];
    others.forEach((other, j) => {
      names.push(String(other.input));
      paths.push(Array.isArray(combine.with) ? `steps[${at}].with[${j}].input` : `steps[${at}].with.input`);
    });
  }
  return { names, paths };
}

/**
 * The definition with every stream and job name it holds rewritten: its `name`, `input` and `output`,
 * and the `input` of each other stream a union, join or cogroup reads (everything else, including
 * values that are not names, as it was). The API qualifies a tenant's names with it, and unqualifies them.
 */
export function renameAll(definition: unknown, rename: (name: string) => string): unknown {
  if (!isObject(definition)) return definition;
  const renamed: Record<string, unknown> = { ...definition };
  for (const field of ["name", "input", "output"] as const) {
    if (typeof renamed[field] === "string") renamed[field] = rename(renamed[field]);
  }
  if (Array.isArray(renamed.steps)) renamed.steps = renamed.steps.map((step) => renameStep(step, rename));
  return renamed;
}

function renameStep(step: unknown, rename: (name: string) => string): unknown {
  if (!isObject(step) || !("with" in step)) return step;
  const branch = (b: unknown) => (isObject(b) && typeof b.input === "string" ? { ...b, input: rename(b.input) } : b);
  return { ...step, with: Array.isArray(step.with) ? step.with.map(branch) : branch(step.with) };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
