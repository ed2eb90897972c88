/**
 * requests.jsonl of a stream partition: the request ids of blocks whose segment a trim deleted, kept
 * while they still dedupe. One JSON line per request; a torn last line is cut away at load.
 */
import { readFile, truncate } from "node:fs/promises";
import type { RequestIndex } from "../memory/request-index.js";
import { AppendOnlyFile, type AppendOnlyFileOptions } from "./append-only-file.js";
import { decodeJsonLines } from "./json-lines.js";
import { isMissing } from "./list-directory.js";

/** A block's request id as it goes to requests.jsonl when its segment is deleted. */
export interface TrimmedRequest {
  readonly requestId: string;
  readonly offset: number;
  readonly appendedAt: number;
}

/** Reads requests.jsonl into the request index (cutting a torn tail) and returns it ready for appends. */
export async function loadTrimmedRequests(
  path: string,
  stream: string,
  partition: number,
  requests: RequestIndex,
  now: number,
  options: AppendOnlyFileOptions,
): Promise<AppendOnlyFile> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if (isMissing(error)) return new AppendOnlyFile(path, 0, 0, options);
    throw error;
  }
  const { records, validLength } = decodeJsonLines(bytes, (value) => {
    if (!isTrimmedRequest(value)) return false;
    if (requests.isLive(value, now)) requests.remember(stream, partition, value.requestId, value.offset, value.appendedAt);
    return true;
  });
  if (validLength < bytes.length) await truncate(path, validLength);
  return new AppendOnlyFile(path, validLength, records, options);
}

function isTrimmedRequest(value: unknown): value is TrimmedRequest {
  const request = value as Partial<TrimmedRequest> | null;
  return (
    typeof request === "object" &&
    request !== null &&
    typeof request.requestId === "string" &&
    Number.isSafeInteger(request.offset) &&
    typeof request.appendedAt === "number"
  );
}
