/** Request shapes of the job and result routes. (The job definition itself is checked by the engine.) */
import { z } from "zod";

export const jobParams = z.object({ id: z.string() });

const seq = z.coerce.number({ error: "must be a whole number" }).int("must be a whole number").min(1, "must be 1 or more");

export const resultsQuery = z.strictObject({
  from: seq.optional(),
  limit: z.coerce.number({ error: "must be a whole number" }).int().min(1).max(1000).default(100),
});

export const liveQuery = z.strictObject({ from: seq.optional() });

export const batchesQuery = z.strictObject({
  after: z.coerce.number({ error: "must be a batch time in ms" }).int().default(-1),
  limit: z.coerce.number({ error: "must be a whole number" }).int().min(1).max(1000).default(100),
});
