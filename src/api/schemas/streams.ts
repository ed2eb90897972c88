/** Request shapes of the stream and ingest routes. */
import { z } from "zod";

const fieldName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a field name: a letter or '_' then letters, digits or '_'");

export const declareStreamBody = z.strictObject({
  name: z.string(),
  partitions: z.number().int().min(1).max(256).optional(),
  keyField: fieldName.optional(),
  eventTimeField: fieldName.optional(),
  idField: fieldName.optional(),
  /** "forever" or {time, bytes}; checked by the engine, whose message says how to write it. */
  retention: z.unknown().optional(),
  /** JSON Schema (2020-12) of the events; checked in depth by the engine (event-schema.ts). */
  schema: z.record(z.string(), z.unknown(), { error: "must be a JSON Schema object, e.g. {\"type\": \"object\", \"properties\": {\"text\": {\"type\": \"string\"}}}" }).optional(),
});

export const streamParams = z.object({ name: z.string() });

/** An Idempotency-Key: printable ASCII, so it is safe as a store key; a UUID is typical. */
export const idempotencyHeader = z
  .string()
  .regex(/^[\x21-\x7e]{1,200}$/, "must be 1-200 printable ASCII characters without spaces, e.g. a UUID")
  .optional();
