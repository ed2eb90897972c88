/**
 * Records as JSON lines, for the batch and result files. A record counts only once its newline is
 * stored: reading stops at the first line that is unterminated, not JSON, or not the expected shape,
 * and everything from there on is treated as a torn tail.
 */

const NEWLINE = 0x0a;

/** One record as a JSON line (newline included), ready to append. */
export function encodeJsonLine(value: unknown): Buffer {
  return Buffer.from(`${JSON.stringify(value)}\n`, "utf8");
}

/**
 * Parses lines from the start of `bytes`, handing each to `accept`, which takes it (true) or declares
 * it the start of the bad tail (false). Returns how many were taken and where the last one ends.
 */
export function decodeJsonLines(bytes: Buffer, accept: (value: unknown) => boolean): { records: number; validLength: number } {
  let records = 0;
  let at = 0;
  while (at < bytes.length) {
    const newline = bytes.indexOf(NEWLINE, at);
    if (newline < 0) break;
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString("utf8", at, newline));
    } catch {
      break;
    }
    if (!accept(value)) break;
    records++;
    at = newline + 1;
  }
  return { records, validLength: at };
}
