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
