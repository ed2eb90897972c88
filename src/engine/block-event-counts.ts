/**
 * How many events each recently stored block holds, so a job's lag (events stored and not yet in a
 * cut batch) can be told in events without reading blocks back, and when it was stored, so a job's
 * end-to-end latency can be told from the oldest block of each batch. Only blocks this server stored are
 * known; a block it did not store (before a restart, or by another node) counts as one event. Each
 * partition keeps its newest MAX_KNOWN blocks, enough for any job that is not far behind.
 */
const MAX_KNOWN = 100_000;

export class BlockEventCounts {
  private readonly partitions = new Map<string, Map<number, number>>();
  /** When each known block was stored (clock ms), by the same keys. */
  private readonly storedAt = new Map<string, Map<number, number>>();

  stored(stream: string, partition: number, offset: number, events: number, at: number): void {
    const key = `${stream}\u0000${partition}`;
    let counts = this.partitions.get(key);
    let times = this.storedAt.get(key);
    if (!counts) this.partitions.set(key, (counts = new Map()));
    if (!times) this.storedAt.set(key, (times = new Map()));
    counts.set(offset, events);
    times.set(offset, at);
    if (counts.size > MAX_KNOWN) counts.delete(counts.keys().next().value!);
    if (times.size > MAX_KNOWN) times.delete(times.keys().next().value!);
  }

  /**
   * When the oldest known block of these ranges was stored (blocks of a partition are stored in
   * offset order, so it is the first known one of each range); undefined when none is known.
   */
  oldestStoredAt(ranges: readonly { stream: string; partition: number; from: number; to: number }[]): number | undefined {
    let oldest: number | undefined;
    for (const { stream, partition, from, to } of ranges) {
      const times = this.storedAt.get(`${stream}\u0000${partition}`);
      if (!times) continue;
      for (let offset = from; offset < to; offset++) {
        const at = times.get(offset);
        if (at === undefined) continue;
        if (oldest === undefined || at < oldest) oldest = at;
        break;
      }
    }
    return oldest;
  }

  /** Events in blocks [from, to) of one partition. */
  eventsBetween(stream: string, partition: number, from: number, to: number): number {
    const counts = this.partitions.get(`${stream}\u0000${partition}`);
    if (!counts || to - from > MAX_KNOWN) return Math.max(0, to - from) * this.averageOf(counts);
    let events = 0;
    for (let offset = from; offset < to; offset++) events += counts.get(offset) ?? 1;
    return events;
  }

  forget(stream: string): void {
    for (const key of this.partitions.keys()) if (key.startsWith(`${stream}\u0000`)) this.partitions.delete(key);
    for (const key of this.storedAt.keys()) if (key.startsWith(`${stream}\u0000`)) this.storedAt.delete(key);
  }

  private averageOf(counts: Map<number, number> | undefined): number {
    if (!counts || counts.size === 0) return 1;
    let events = 0;
    for (const n of counts.values()) events += n;
    return events / counts.size;
  }
}
