/** Request shapes of the job and result routes. (The job definition itself is checked by the engine.) */
import { z } from "zod";
import { ApiError } from "../errors.js";

export const jobParams = z.object({ id: z.string() });

const seq = z.coerce.number({ error: "must be a whole number" }).int("must be a whole number").min(1, "must be 1 or more");

const PAGE_SIZE = "must be a whole number from 1 to 1000";
const pageSize = z.coerce.number({ error: PAGE_SIZE }).int(PAGE_SIZE).min(1, PAGE_SIZE).max(1000, PAGE_SIZE);

export const resultsQuery = z
  .strictObject({
    from: seq.optional(),
    /** The newest `last` frames (instead of from/limit). */
    last: pageSize.optional(),
    limit: pageSize.default(100),
  })
  .refine((q) => q.last === undefined || q.from === undefined, { path: ["last"], message: "cannot be given with from: ask for the newest frames with last=N, or for a page with from=SEQ&limit=N" });

export const liveQuery = z.strictObject({ from: seq.optional(), token: z.string().max(512, "must be at most 512 characters").optional() });

export const KEY_TYPES = ["string", "number", "boolean", "null"] as const;

/** A state query: the key as text and what type it has (keys are strings, numbers, booleans or null). */
export const stateQuery = z
  .strictObject({
    key: z.string().max(1024, "must be at most 1024 characters").optional(),
    keyType: z.enum(KEY_TYPES, { error: `must be one of ${KEY_TYPES.join(", ")}` }).default("string"),
  })
  .transform((q, ctx) => {
    if (q.key === undefined) {
      if (q.keyType !== "string" && q.keyType !== "null") ctx.addIssue({ code: "custom", path: ["key"], message: `is required with keyType ${q.keyType}` });
      return { key: q.keyType === "null" ? null : undefined };
    }
    switch (q.keyType) {
      case "string":
        return { key: q.key };
      case "number": {
        const n = q.key.trim() === "" ? NaN : Number(q.key);
        if (!Number.isFinite(n)) ctx.addIssue({ code: "custom", path: ["key"], message: "must be a finite number with keyType number, e.g. key=42" });
        return { key: n };
      }
      case "boolean":
        if (q.key !== "true" && q.key !== "false") ctx.addIssue({ code: "custom", path: ["key"], message: "must be true or false with keyType boolean" });
        return { key: q.key === "true" };
      case "null":
        ctx.addIssue({ code: "custom", path: ["key"], message: "must be left out with keyType null" });
        return { key: null };
    }
  });

export const batchesQuery = z.strictObject({
  after: z.coerce.number({ error: "must be a batch time in ms" }).int().default(-1),
  limit: pageSize.default(100),
});

export const UPGRADE_STATES = ["keep", "reset"] as const;

/**
 * PUT /v1/jobs/:id: a job definition with an optional top-level `state`: "keep" (the default: refuse
 * a change the state cannot survive) or "reset" (accept starting it with empty state).
 */
export function upgradeRequest(body: unknown): { definition: unknown; resetState: boolean } {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new ApiError("INVALID_BODY", "send the job's new definition as a JSON object, as for POST /v1/jobs (optionally with \"state\": \"reset\")");
  }
  const { state, ...definition } = body as Record<string, unknown>;
  if (state !== undefined && !(UPGRADE_STATES as readonly unknown[]).includes(state)) {
    throw new ApiError("INVALID_REQUEST", `state must be one of ${UPGRADE_STATES.join(", ")} (got ${JSON.stringify(state)}); "reset" runs the job on with empty state when its state cannot be kept`, { problems: [{ path: "state", message: `must be one of ${UPGRADE_STATES.join(", ")}` }] });
  }
  return { definition, resetState: state === "reset" };
}
