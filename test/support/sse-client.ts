/** A real Server-Sent Events client over node:http, for tests of live results. */
import http from "node:http";

export interface SseEvent {
  /** `message` unless the server named it (`event: close`). */
  readonly event: string;
  readonly id: number | undefined;
  readonly data: unknown;
}

export class SseClient {
  private text = "";
  /** Set once the server ended the response (or the connection failed). */
  ended = false;
  private readonly request: http.ClientRequest;

  constructor(url: string, headers: Record<string, string> = {}) {
    this.request = http.get(url, { agent: false, headers: { accept: "text/event-stream", ...headers } }, (res) => {
      res.on("data", (chunk: Buffer) => (this.text += chunk.toString()));
      res.on("end", () => (this.ended = true));
      res.on("error", () => (this.ended = true));
    });
    this.request.on("error", () => (this.ended = true));
  }

  /** Every complete event received so far. */
  get events(): SseEvent[] {
    const blocks = this.text.split("\n\n").slice(0, -1);
    return blocks.map((block) => {
      const fields = new Map(block.split("\n").map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1).trim()] as const));
      const id = fields.get("id");
      return { event: fields.get("event") ?? "message", id: id === undefined ? undefined : Number(id), data: JSON.parse(fields.get("data") ?? "null") as unknown };
    });
  }

  /** Resolves when `predicate` holds, or rejects after `timeoutMs`. */
  async until(predicate: () => boolean, timeoutMs = 10_000, what = "condition"): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${this.text.slice(-300)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  close(): void {
    this.request.destroy();
  }
}
