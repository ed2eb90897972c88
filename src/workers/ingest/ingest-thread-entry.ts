/**
 * An ingest thread's entry: parses, checks and encodes the raw bodies the main thread sends, one at a
 * time, and answers each with its blocks, whose buffers it hands over. Nothing imports this file;
 * IngestThreads starts it.
 */
import { parentPort, threadId } from "node:worker_threads";
import { encodeNdjson } from "../../engine/encoded-body.js";
import { EngineError } from "../../engine/errors.js";
import type { EncodedBody } from "../../engine/encoded-body.js";
import type { EncodeReply, EncodeRequest } from "./protocol.js";

parentPort!.on("message", ({ id, body, shape, digests }: EncodeRequest) => {
  let reply: EncodeReply;
  try {
    reply = { id, ok: true, encoded: { ...encodeNdjson(body, shape, digests), thread: threadId } };
  } catch (error) {
    reply = error instanceof EngineError
      ? { id, ok: false, code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) }
      : { id, ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  parentPort!.postMessage(reply, reply.ok ? buffersOf(reply.encoded) : []);
});

function buffersOf(encoded: EncodedBody): ArrayBuffer[] {
  const buffers: ArrayBuffer[] = [];
  for (const share of encoded.shares) {
    for (const payload of share.payload ? [share.payload] : (share.events ?? []).map((e) => e.payload)) {
      if (payload.buffer instanceof ArrayBuffer && payload.byteOffset === 0 && payload.byteLength === payload.buffer.byteLength) buffers.push(payload.buffer);
    }
  }
  return buffers;
}
