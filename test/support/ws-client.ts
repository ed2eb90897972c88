/** A real WebSocket client that collects messages, for tests of live results. */
import WebSocket from "ws";

export interface LiveMessage {
  type: "hello" | "result" | "heartbeat";
  seq?: number;
  [field: string]: unknown;
}

export class LiveClient {
  readonly messages: LiveMessage[] = [];
  readonly socket: WebSocket;
  closed: { code: number; reason: string } | undefined;
  private waiters: (() => void)[] = [];

  constructor(url: string) {
    this.socket = new WebSocket(url);
    this.socket.on("message", (data) => {
      this.messages.push(JSON.parse(data.toString()) as LiveMessage);
      this.wake();
    });
    this.socket.on("close", (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
    this.socket.on("error", () => this.wake());
  }

  get results(): LiveMessage[] {
    return this.messages.filter((m) => m.type === "result");
  }

  /** Resolves when `predicate` holds, or rejects after `timeoutMs`. */
  async until(predicate: () => boolean, timeoutMs = 10_000, what = "condition"): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.messages.slice(-3))}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  close(): void {
    this.socket.close();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** Opens a WebSocket and reports how the server answered the upgrade: 101, or the HTTP status and body. */
export function upgradeStatus(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.on("open", () => {
      socket.close();
      resolve({ status: 101, body: "" });
    });
    socket.on("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    socket.on("error", reject);
  });
}
