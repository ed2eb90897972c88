/**
 * The messages between the ingest threads and the main thread: a raw body to encode, and its encoded
 * blocks (their buffers moved, not copied) or the user's mistake it holds, as code, message and details.
 */
import type { EncodedBody } from "../../engine/encoded-body.js";
import type { StreamShape } from "../../engine/event-check.js";

export interface EncodeRequest {
  readonly id: number;
  readonly body: Uint8Array;
  readonly shape: StreamShape;
  readonly digests: boolean;
}

export type EncodeReply =
  | { readonly id: number; readonly ok: true; readonly encoded: EncodedBody }
  /** `code`: an EngineError's code (a bad line or event); absent, a fault of the thread itself. */
  | { readonly id: number; readonly ok: false; readonly code?: string; readonly message: string; readonly details?: unknown };
