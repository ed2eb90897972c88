/**
 * Where a job's work runs: its map partitions (one input slot per partition of every input stream, in
 * descriptor order) and its reduce partitions, from its input streams as the catalogue has them.
 */
import type { Catalog } from "../store/types.js";
import { invalidJob } from "./errors.js";
import type { JobPlan } from "./query/compile-job.js";
import { jobInputs } from "./query/job-inputs.js";
import { inputSlots, type InputSlot } from "./scheduler/input-slots.js";

export interface JobLayout {
  readonly slots: readonly InputSlot[];
  /** Reduce partitions: 0 for a job without a keyed step. */
  readonly partitions: number;
}

/**
 * The layout of a job (a job without a keyed step has no reduce partition). A stream that does not
 * exist is a problem with the definition, named by where it is written.
 */
export async function layoutOf(catalog: Catalog, definition: Record<string, unknown>, plan: JobPlan): Promise<JobLayout> {
  const { names, paths } = jobInputs(definition);
  const streams = await Promise.all(names.map((name) => catalog.getStream(name)));
  const missing = names.flatMap((name, i) => (streams[i] ? [] : [{ path: paths[i]!, message: `no stream named "${name}"` }]));
  if (missing.length > 0) throw invalidJob(missing, "declare it with POST /v1/streams or push an event to it first");
  const slots = inputSlots(streams.map((s) => ({ name: s!.name, partitions: s!.partitions })));
  return { slots, partitions: plan.keyed() ? (plan.reducePartitions ?? streams[0]!.partitions) : 0 };
}
