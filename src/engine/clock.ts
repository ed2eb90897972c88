/**
 * The scheduler's only source of time. SystemClock follows the wall clock; ManualClock lets tests move
 * time by hand so that every batch boundary is exact and repeatable.
 */
export interface Clock {
  now(): number;
  /** Calls `fire` once `now() >= at`; the returned function cancels it. */
  setTimer(at: number, fire: () => void): () => void;
}

export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  setTimer(at: number, fire: () => void): () => void {
    const handle = setTimeout(fire, Math.max(0, at - Date.now()));
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
