/**
 * One worker thread as the pool sees it: requests with ids and promised replies, in-flight count, busy
 * time, and a death notice (exit, uncaught error, or no answer to a ping) that fails every pending
 * request with WorkerLostError so the pool can run it elsewhere.
 */
import { Worker } from "node:worker_threads";
import { TaskAbandonedError } from "../../engine/operators/operator.js";
import type { WorkerReply, WorkerRequest } from "./protocol.js";

/** A request's worker died before answering; the pool retries the work elsewhere. */
export class WorkerLostError extends Error {
  constructor(readonly workerIndex: number, reason: string) {
    super(`worker ${workerIndex} was lost: ${reason}`);
    this.name = "WorkerLostError";
  }
}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };
type RequestBody = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

/**
 * Starts the worker thread: the compiled entry file, or — when the pool itself runs from TypeScript
 * sources, as under the test runner — the TypeScript entry through tsx's loader, registered first.
 */
function startThread(index: number): Worker {
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./worker-entry.js", import.meta.url), { workerData: { index } });
  const loader = import.meta.resolve("tsx/esm/api");
  const entry = new URL("./worker-entry.ts", import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(loader)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: { index } });
}

export class WorkerHandle {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private dead: string | undefined;
  private pinger: NodeJS.Timeout | undefined;
  private readonly booted: Promise<void>;
  private pingsUnanswered = 0;
  /** Requests sent and not yet answered. */
  inFlight = 0;
  busyMs = 0;

  constructor(
    readonly index: number,
    private readonly onDeath: (handle: WorkerHandle, reason: string) => void,
    options: { pingIntervalMs: number; unresponsiveAfterPings: number; onBusy?: (ms: number) => void },
  ) {
    this.worker = startThread(index);
    this.worker.on("message", (reply: WorkerReply) => {
      options.onBusy?.(reply.busyMs);
      this.settle(reply);
    });
    this.worker.on("error", (error) => this.die(`uncaught error: ${error.message}`));
    this.worker.on("exit", (code) => this.die(`exited with code ${code}`));
    // Liveness pings start once the thread has booted: loading its modules is not "not answering".
    this.booted = this.request({ type: "ping" }).then(() => {
      if (this.dead) return;
      this.pinger = setInterval(() => {
        if (this.pingsUnanswered >= options.unresponsiveAfterPings) return this.die("stopped answering");
        this.pingsUnanswered += 1;
        this.request({ type: "ping" }).then(
          () => (this.pingsUnanswered = 0),
          () => undefined,
        );
      }, options.pingIntervalMs);
      this.pinger.unref();
    });
    this.booted.catch(() => undefined);
  }

  get alive(): boolean {
    return this.dead === undefined;
  }

  /** Resolves once the thread answers (it is started and its modules are loaded). */
  ready(): Promise<void> {
    return this.booted;
  }

  request<T = unknown>(body: RequestBody, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.dead) return Promise.reject(new WorkerLostError(this.index, this.dead));
    const id = this.nextId++;
    this.inFlight += 1;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ ...body, id }, transfer);
    });
  }

  /** Stops the thread for good (pool shutdown, or replacing an unresponsive worker). */
  async terminate(reason = "terminated"): Promise<void> {
    this.die(reason);
    await this.worker.terminate();
  }

  private settle(reply: WorkerReply): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    this.inFlight -= 1;
    this.busyMs += reply.busyMs;
    if (reply.ok) pending.resolve(reply.value);
    else pending.reject(reply.abandoned ? new TaskAbandonedError() : new Error(reply.error));
  }

  private die(reason: string): void {
    if (this.dead) return;
    this.dead = reason;
    clearInterval(this.pinger);
    for (const pending of this.pending.values()) pending.reject(new WorkerLostError(this.index, reason));
    this.pending.clear();
    this.inFlight = 0;
    void this.worker.terminate();
    this.onDeath(this, reason);
  }
}
