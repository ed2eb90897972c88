/** A server logger whose lines a test reads back: the JSON lines pino writes, parsed, in order. */
import type { Logger } from "pino";
import { createLogger } from "../../src/api/log-fields.js";

export type LogLine = Record<string, unknown> & { level: number; msg: string };

/** pino's numeric levels. */
export const INFO = 30;
export const WARN = 40;

export interface CapturedLog {
  readonly logger: Logger;
  /** Every line written so far. */
  readonly lines: LogLine[];
  /** Every line written so far, as the text pino wrote. */
  text(): string;
  /** The lines with this message. */
  named(msg: string): LogLine[];
  /** Resolves once a line with this message is written (for events that happen off the request path). */
  until(msg: string, timeoutMs?: number): Promise<LogLine>;
}

export function captureLog(level = "info"): CapturedLog {
  const raw: string[] = [];
  const lines: LogLine[] = [];
  const logger = createLogger({
    level,
    stream: {
      write(chunk: string) {
        raw.push(chunk);
        lines.push(JSON.parse(chunk) as LogLine);
      },
    },
  });
  const named = (msg: string) => lines.filter((l) => l.msg === msg);
  return {
    logger,
    lines,
    text: () => raw.join(""),
    named,
    async until(msg, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (named(msg).length === 0) {
        if (Date.now() > deadline) throw new Error(`no "${msg}" line within ${timeoutMs} ms; the log has: ${lines.map((l) => l.msg).join(", ")}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return named(msg)[0]!;
    },
  };
}
