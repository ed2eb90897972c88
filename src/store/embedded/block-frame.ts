/**
 * How one block is laid out in a segment file. Blocks are stored back to back, each as a 24-byte
 * header, the request id that appended it (if any) and its payload; the offset is implicit (the n-th
 * frame of the segment whose file is named `<base>.seg` is offset base + n):
 *
 *   0  u32 LE  payload length
 *   4  u32 LE  event count
 *   8  f64 LE  appendedAt (ms since epoch)
 *  16  u32 LE  request id length in bytes (0: appended without one)
 *  20  u32 LE  crc32 of bytes 0..19, the request id and the payload
 *  24  request id (UTF-8)
 *  24 + request id length: payload
 *
 * The request id lives in the frame so that the dedupe index can be rebuilt from the segments alone.
 * The checksum finds a torn or garbled tail after a crash: reading stops at the first frame that is
 * short or does not match, and everything from there on is cut away.
 */
import { crc32 } from "node:zlib";
import { MAX_REQUEST_ID_BYTES } from "../contract.js";

export const FRAME_HEADER_BYTES = 24;
const CHECKSUM_AT = 20;
const MAX_U32 = 0xffff_ffff;

/** A block as read back from a segment file, before it is given its offset. */
export interface StoredBlock {
  readonly count: number;
  readonly appendedAt: number;
  readonly payload: Uint8Array;
  readonly requestId?: string;
}

/** One block's frame: header, request id, then a copy of the payload, in one buffer ready to append. */
export function encodeBlockFrame(count: number, appendedAt: number, payload: Uint8Array, requestId?: string): Buffer {
  if (!Number.isSafeInteger(count) || count < 0 || count > MAX_U32) {
    throw new RangeError(`block count must be an integer in 0..${MAX_U32}, got ${count}`);
  }
  if (payload.byteLength > MAX_U32) throw new RangeError(`block payload of ${payload.byteLength} bytes is too large`);
  const idLength = requestId === undefined ? 0 : Buffer.byteLength(requestId, "utf8");
  if (idLength > MAX_REQUEST_ID_BYTES) throw new RangeError(`requestId of ${idLength} bytes is too long`);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + idLength + payload.byteLength);
  frame.writeUInt32LE(payload.byteLength, 0);
  frame.writeUInt32LE(count, 4);
  frame.writeDoubleLE(appendedAt, 8);
  frame.writeUInt32LE(idLength, 16);
  if (requestId !== undefined) frame.write(requestId, FRAME_HEADER_BYTES, "utf8");
  frame.set(payload, FRAME_HEADER_BYTES + idLength);
  frame.writeUInt32LE(frameChecksum(frame), CHECKSUM_AT);
  return frame;
}

/** The payload part of a frame made by {@link encodeBlockFrame} (a view, not a copy). */
export function framePayload(frame: Buffer): Buffer {
  return frame.subarray(FRAME_HEADER_BYTES + frame.readUInt32LE(16));
}

/**
 * Reads frames from the start of a segment file's bytes. `validLength` is where the last intact
 * frame ends; anything after it is a torn or corrupt tail. Payloads are views into `bytes`.
 */
export function decodeBlockFrames(bytes: Buffer): { blocks: StoredBlock[]; validLength: number } {
  const blocks: StoredBlock[] = [];
  let at = 0;
  while (at + FRAME_HEADER_BYTES <= bytes.length) {
    const length = bytes.readUInt32LE(at);
    const idLength = bytes.readUInt32LE(at + 16);
    if (idLength > MAX_REQUEST_ID_BYTES) break;
    const end = at + FRAME_HEADER_BYTES + idLength + length;
    if (end > bytes.length) break;
    const frame = bytes.subarray(at, end);
    if (frame.readUInt32LE(CHECKSUM_AT) !== frameChecksum(frame)) break;
    const payloadAt = FRAME_HEADER_BYTES + idLength;
    const block: StoredBlock = {
      count: frame.readUInt32LE(4),
      appendedAt: frame.readDoubleLE(8),
      payload: frame.subarray(payloadAt),
    };
    blocks.push(idLength === 0 ? block : { ...block, requestId: frame.toString("utf8", FRAME_HEADER_BYTES, payloadAt) });
    at = end;
  }
  return { blocks, validLength: at };
}

/** crc32 of the header before the checksum field, then everything after it. */
function frameChecksum(frame: Buffer): number {
  const header = crc32(frame.subarray(0, CHECKSUM_AT));
  return crc32(frame.subarray(FRAME_HEADER_BYTES), header);
}
