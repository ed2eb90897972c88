/**
 * Whether the store answers, watched so that an operator reads one line when it stops answering and
 * one when it is back (with how long it was away), not one per failed request. Every readiness probe
 * counts as a check too, so /readyz and the log never disagree.
 */
import type { Clock } from "./clock.js";
import type { OperatorLog } from "./operator-log.js";

/** How often the store is pinged between readiness probes (ms). */
export const STORE_CHECK_MS = 2000;

export class StoreReachability {
  /** When the store stopped answering; undefined while it answers. */
  private downSince: number | undefined;
  private cancel: (() => void) | undefined;

  constructor(
    private readonly ping: () => Promise<void>,
    private readonly clock: Clock,
    private readonly log: OperatorLog,
    private readonly kind: string,
  ) {}

  /** Pings the store now; logs a change of reachability. */
  async check(): Promise<boolean> {
    try {
      await this.ping();
      if (this.downSince !== undefined) this.log.info({ store: this.kind, downMs: this.clock.now() - this.downSince }, "store reachable again");
      this.downSince = undefined;
      return true;
    } catch (error) {
      if (this.downSince === undefined) this.log.warn({ store: this.kind, cause: (error as Error).message }, "store unreachable");
      this.downSince ??= this.clock.now();
      return false;
    }
  }

  /** Checks every STORE_CHECK_MS until stop(). */
  start(): void {
    const next = () => {
      this.cancel = this.clock.setTimer(this.clock.now() + STORE_CHECK_MS, () => void this.check().finally(() => this.cancel !== undefined && next()));
    };
    this.stop();
    next();
  }

  stop(): void {
    const cancel = this.cancel;
    this.cancel = undefined;
    cancel?.();
  }
}
