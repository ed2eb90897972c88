/**
 * Where in a job definition an expression is written ("steps[2].where", "steps[0].aggs.total.of"),
 * found by its text, so that a failure met while running it can name the step as a user wrote it.
 */
export function expressionPath(definition: unknown, expression: string): string | undefined {
  const stack: { value: unknown; path: string }[] = [{ value: definition, path: "" }];
  while (stack.length > 0) {
    const { value, path } = stack.shift()!;
    if (value === expression && path !== "") return path;
    if (Array.isArray(value)) value.forEach((item, i) => stack.push({ value: item, path: `${path}[${i}]` }));
    else if (typeof value === "object" && value !== null) {
      for (const [key, item] of Object.entries(value)) stack.push({ value: item, path: path === "" ? key : `${path}.${key}` });
    }
  }
  return undefined;
}
