/**
 * The port through which ingest has a raw body parsed, checked and encoded (see encoded-body.ts). The
 * engine knows no threads: main.ts wires in the worker threads' implementation (workers/ingest), and
 * unit tests and a server without workers use the inline one, which runs on the calling thread.
 */
import { encodeNdjson, type EncodedBody } from "./encoded-body.js";
import type { StreamShape } from "./event-check.js";

export interface IngestEncoder {
  /**
   * An NDJSON body's events, checked against `shape` and encoded per partition (with each block's
   * digest when `digests`). Rejects with EngineError INVALID_BODY or INVALID_EVENT naming the line, or
   * OVERLOADED when too many bodies already wait to be encoded. With `mayTake`, the encoder may take the
   * body's buffer (move it to another thread, leaving it empty here) instead of copying it.
   */
  encodeNdjson(body: Uint8Array, shape: StreamShape, digests: boolean, mayTake?: boolean): Promise<EncodedBody>;
  close(): Promise<void>;
}

export class InlineIngestEncoder implements IngestEncoder {
  async encodeNdjson(body: Uint8Array, shape: StreamShape, digests: boolean): Promise<EncodedBody> {
    return encodeNdjson(body, shape, digests);
  }

  async close(): Promise<void> {}
}
