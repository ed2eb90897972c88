/**
 * An eventWindow without `time` windows over its input stream's event-time field. This fills that in
 * before the definition is compiled (so the stored definition says which field it used), and refuses
 * the step, at its JSON path, when the stream names no event-time field.
 */
import type { Problem } from "../errors.js";

interface RawStep {
  readonly op?: unknown;
  readonly time?: unknown;
}

/**
 * `definition` with each time-less eventWindow's `time` set to `eventTimeField`. Problems (a stream
 * without one) are added to `problems`; anything else about the definition is left to compileJob.
 */
export function withEventTime(definition: unknown, stream: { readonly name: string; readonly eventTimeField?: string } | undefined, problems: Problem[]): unknown {
  const steps = (definition as { steps?: unknown } | null)?.steps;
  if (!Array.isArray(steps) || stream === undefined) return definition;
  const filled = steps.map((step: RawStep, i) => {
    if (step?.op !== "eventWindow" || step.time !== undefined) return step;
    if (stream.eventTimeField === undefined) {
      problems.push({
        path: `steps[${i}].time`,
        message: `stream "${stream.name}" names no event-time field; give "time" (e.g. "ts"), or declare the stream with "eventTimeField"`,
      });
      return step;
    }
    return { ...step, time: stream.eventTimeField };
  });
  return { ...(definition as object), steps: filled };
}
