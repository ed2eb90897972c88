/**
 * The scheduler's only source of time. SystemClock follows the wall clock; ManualClock lets tests move
 * time by hand so that every batch boundary is exact and repeatable.
 */
export interface Clock {
  now(): number;
  /** Calls `fire` once `now() >= at` (never before); the returned function cancels it. */
  setTimer(at: number, fire: () => void): () => void;
}

/**
 * The wall clock. Node's timers run on a monotonic clock of their own and may fire a millisecond or
 * more before `Date.now()` reaches the time asked for, so a timer that fires early is set again for
 * the rest: a batch cut at time B must not happen while the wall clock still reads less than B.
 */
export class SystemClock implements Clock {
  /** @param wallClock where `now()` reads the time (tests pass one that lags behind the timers). */
  constructor(private readonly wallClock: () => number = Date.now) {}

  now(): number {
    return this.wallClock();
  }

  setTimer(at: number, fire: () => void): () => void {
    let handle: NodeJS.Timeout;
    const arm = (): void => {
      const left = at - this.now();
      if (left <= 0) fire();
      else handle = setTimeout(arm, left);
    };
    handle = setTimeout(arm, Math.max(0, at - this.now()));
    return () => clearTimeout(handle);
  }
}

interface PendingTimer {
  at: number;
  order: number;
  fire: () => void;
}

/** A clock that moves only when told; timers fire in time order, ties in the order they were set. */
export class ManualClock implements Clock {
  private current: number;
  private timers: PendingTimer[] = [];
  private nextOrder = 0;

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(at: number, fire: () => void): () => void {
    const timer = { at, order: this.nextOrder++, fire };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Moves time to `to`, firing every timer due on the way (including timers those timers set). */
  advanceTo(to: number): void {
    for (;;) {
      const due = this.timers.filter((t) => t.at <= to).sort((a, b) => a.at - b.at || a.order - b.order)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.current = Math.max(this.current, due.at);
      due.fire();
    }
    this.current = Math.max(this.current, to);
  }

  advance(ms: number): void {
    this.advanceTo(this.current + ms);
  }
}
