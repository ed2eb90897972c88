/**
 * An error in one field of a step, found while building its operator (a CEL expression that does not
 * compile, a missing `of`). `field` is the path inside the step, e.g. `update` or `aggs.total.of`, so
 * the job is refused with the full JSON path of the mistake.
 */
export class StepFieldError extends Error {
  override readonly name = "StepFieldError";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Runs `build`, naming `field` in any error it throws. */
export function forField<T>(field: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof StepFieldError) throw error;
    throw new StepFieldError(field, error instanceof Error ? error.message : String(error));
  }
}
