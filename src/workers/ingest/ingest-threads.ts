/**
 * Ingest threads: an IngestEncoder that parses, checks and encodes raw bodies on worker threads of its
 * own, so that ingest uses every core and the main thread is left to HTTP and the store. (The worker
 * pool's threads run jobs' batches, which have a schedule to keep; a body's encoding should not wait
 * behind a batch, nor a batch behind a burst of ingest.)
 *
 * Each body goes to the thread with the fewest bytes waiting. A small body is encoded on the calling
 * thread, where it costs less than the round trip. Past `maxBacklogBytes` waiting, a body is refused
 * with OVERLOADED (503), so that under excess load the acknowledged rate stays at what the threads
 * sustain instead of every request waiting longer. Encoding is a pure function of the body, so a body
 * whose thread died is encoded again on the thread that replaces it, unless its buffer was moved there.
 */
import type { Worker } from "node:worker_threads";
import { encodeNdjson, type EncodedBody } from "../../engine/encoded-body.js";
import { EngineError, type EngineErrorCode } from "../../engine/errors.js";
import type { StreamShape } from "../../engine/event-check.js";
import type { IngestEncoder } from "../../engine/ingest-encoder.js";
import { startThread } from "../start-thread.js";
import type { EncodeReply, EncodeRequest } from "./protocol.js";

export interface IngestThreadsOptions {
  /** Threads (0: every body is encoded on the calling thread). */
  readonly threads: number;
  /** Bodies smaller than this (bytes) are encoded on the calling thread (default INLINE_BELOW_BYTES). */
  readonly inlineBelowBytes?: number;
  /** Bytes of bodies waiting for or in encoding past which a new body is refused (default 8 MiB a thread). */
  readonly maxBacklogBytes?: number;
}

/**
 * Below this a body is encoded inline. Measured (main thread's CPU a body, 100-byte events): the round
 * trip to a thread costs the main thread about 10 us, whatever the size; encoding inline costs 13 us
 * for 1 KB, 53 us for 5 KB, 150 us for 15 KB, 1,240 us for 100 KB (against 73 us threaded).
 */
export const INLINE_BELOW_BYTES = 2 * 1024;

/** How many times a body is sent again after its thread died before it is failed. */
const RETRIES_AFTER_DEATH = 1;

interface Waiting {
  readonly request: EncodeRequest;
  readonly bytes: number;
  /** Whether the body's buffer is moved to the thread (then it cannot be sent again). */
  readonly move: boolean;
  readonly resolve: (encoded: EncodedBody) => void;
  readonly reject: (error: Error) => void;
  attempts: number;
}

class IngestThread {
  readonly waiting = new Map<number, Waiting>();
  backlogBytes = 0;

  constructor(readonly worker: Worker) {}
}

export class IngestThreads implements IngestEncoder {
  private readonly threads: IngestThread[] = [];
  private nextId = 1;
  private closing = false;
  private readonly inlineBelowBytes: number;
  private readonly maxBacklogBytes: number;

  constructor(options: IngestThreadsOptions) {
    this.inlineBelowBytes = options.inlineBelowBytes ?? INLINE_BELOW_BYTES;
    this.maxBacklogBytes = options.maxBacklogBytes ?? 8 * 1024 * 1024 * Math.max(1, options.threads);
    for (let i = 0; i < options.threads; i++) this.threads.push(this.spawn());
  }

  /** Bytes of bodies sent to the threads and not yet answered. */
  backlogBytes(): number {
    return this.threads.reduce((sum, t) => sum + t.backlogBytes, 0);
  }

  async encodeNdjson(body: Uint8Array, shape: StreamShape, digests: boolean, mayTake = false): Promise<EncodedBody> {
    if (this.threads.length === 0 || body.byteLength < this.inlineBelowBytes) return encodeNdjson(body, shape, digests);
    const backlog = this.backlogBytes();
    if (backlog > 0 && backlog + body.byteLength > this.maxBacklogBytes) {
      throw new EngineError("OVERLOADED", `the server's ingest threads have ${mib(backlog)} of events waiting to be parsed, and took none of these; retry after 1 s with the same Idempotency-Key`);
    }
    const request: EncodeRequest = { id: this.nextId++, body, shape, digests };
    // Moving the buffer costs nothing; copying it costs the main thread about as much as parsing it.
    const move = mayTake && body.buffer instanceof ArrayBuffer && body.byteOffset === 0 && body.byteLength === body.buffer.byteLength;
    return new Promise((resolve, reject) => this.send({ request, bytes: body.byteLength, move, resolve, reject, attempts: 0 }));
  }

  async close(): Promise<void> {
    this.closing = true;
    const threads = this.threads.splice(0);
    for (const thread of threads) for (const w of thread.waiting.values()) w.reject(new Error("the ingest threads were closed"));
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  private send(waiting: Waiting): void {
    const thread = this.threads.reduce((best, t) => (t.backlogBytes < best.backlogBytes ? t : best));
    thread.waiting.set(waiting.request.id, waiting);
    thread.backlogBytes += waiting.bytes;
    thread.worker.postMessage(waiting.request, waiting.move ? [waiting.request.body.buffer as ArrayBuffer] : []);
  }

  private spawn(): IngestThread {
    const thread = new IngestThread(startThread(import.meta.url, "ingest-thread-entry", undefined));
    thread.worker.unref();
    thread.worker.on("message", (reply: EncodeReply) => {
      const waiting = thread.waiting.get(reply.id);
      if (!waiting) return;
      thread.waiting.delete(reply.id);
      thread.backlogBytes -= waiting.bytes;
      if (reply.ok) waiting.resolve(reply.encoded);
      else if (reply.code !== undefined) waiting.reject(new EngineError(reply.code as EngineErrorCode, reply.message, reply.details));
      else waiting.reject(new Error(`an ingest thread failed to encode a body: ${reply.message}`));
    });
    const died = (reason: string) => {
      const index = this.threads.indexOf(thread);
      if (index === -1) return;
      if (this.closing) return;
      this.threads[index] = this.spawn();
      for (const waiting of thread.waiting.values()) {
        if (!waiting.move && waiting.attempts++ < RETRIES_AFTER_DEATH) this.send(waiting);
        else waiting.reject(new Error(`an ingest thread died while encoding a body (${reason})`));
      }
      thread.waiting.clear();
    };
    thread.worker.on("error", (error) => died(error.message));
    thread.worker.on("exit", (code) => died(`exit code ${code}`));
    return thread;
  }
}

function mib(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MiB`;
}
