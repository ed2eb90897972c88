/**
 * Straggler detection for map tasks (the paper's speculative execution): once half the map tasks of a
 * batch have finished, a task running longer than `multiplier` x their median gets a copy on another
 * worker. Map tasks are deterministic and stateless, so whichever copy finishes first is the answer.
 */
export interface RunningTask {
  /** When a worker took it up (undefined while it waits in the queue: waiting is not running slow). */
  startedAt: number | undefined;
  speculated: boolean;
}

export class BatchTasks {
  readonly running = new Set<RunningTask>();
  readonly durations: number[] = [];

  /** Running tasks that are stragglers now and have no copy yet. */
  stragglers(now: number, multiplier: number, minimumMs: number): RunningTask[] {
    const total = this.running.size + this.durations.length;
    if (this.durations.length === 0 || this.durations.length * 2 < total) return [];
    const threshold = Math.max(minimumMs, multiplier * median(this.durations));
    return [...this.running].filter((t) => !t.speculated && t.startedAt !== undefined && now - t.startedAt > threshold);
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
