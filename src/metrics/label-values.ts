/** The closed sets of label values Tributary uses, so every series can start at 0. */

/** Statuses a job can be in; `tributary_job_status` has one series per status, 1 for the job's own. */
export const JOB_STATUSES = ["running", "paused", "stopped", "failed"] as const;
export const CHECKPOINT_OUTCOMES = ["completed", "failed"] as const;
export const INGEST_OUTCOMES = ["accepted", "rejected", "unavailable"] as const;
/**
 * The error codes ingest answers most (see src/api/errors.ts), counted from 0 for every stream; any
 * other code of the catalogue gets its series when it is first answered.
 */
export const INGEST_ERROR_CODES = ["INVALID_EVENT", "INVALID_BODY", "BODY_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE", "QUOTA_EXCEEDED", "OVERLOADED", "STORE_UNAVAILABLE"] as const;
/** Why a live subscription ended, as the `subscriber dropped` log line and the close reason say it. */
export const SUBSCRIBER_CLOSE_REASONS = ["client closed", "fell behind", "stopped answering pings", "job ended", "server shutting down", "over quota", "error"] as const;
export type SubscriberCloseReason = (typeof SUBSCRIBER_CLOSE_REASONS)[number];
/** Why a worker thread was replaced (see workerDeathReason). */
export const WORKER_DEATH_REASONS = ["exited", "uncaught error", "terminated"] as const;

/** The bounded `reason` label of a worker's death: "exited with code 3" is "exited". */
export function workerDeathReason(reason: string): string {
  return reason.startsWith("exited") ? "exited" : reason.split(":")[0]!;
}
