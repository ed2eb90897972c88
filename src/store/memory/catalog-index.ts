/**
 * The catalogue's streams and jobs as two maps. The memory store uses one directly; the embedded store
 * changes a clone, persists it, and only then swaps it in, so readers never see an unsaved change.
 */
import type { JobRecord, StreamDefinition } from "../types.js";

/** The catalogue as plain data, e.g. for a JSON file. */
export interface CatalogSnapshot {
  readonly streams: readonly StreamDefinition[];
  readonly jobs: readonly JobRecord[];
}

export class CatalogIndex {
  readonly streams = new Map<string, StreamDefinition>();
  readonly jobs = new Map<string, JobRecord>();

  static fromSnapshot(snapshot: CatalogSnapshot): CatalogIndex {
    const index = new CatalogIndex();
    for (const stream of snapshot.streams) index.streams.set(stream.name, stream);
    for (const job of snapshot.jobs) index.jobs.set(job.id, job);
    return index;
  }

  clone(): CatalogIndex {
    return CatalogIndex.fromSnapshot(this.toSnapshot());
  }

  /** Streams sorted by name and jobs by id, so listings and files do not depend on insertion order. */
  toSnapshot(): CatalogSnapshot {
    return { streams: this.listStreams(), jobs: this.listJobs() };
  }

  listStreams(): StreamDefinition[] {
    return [...this.streams.values()].sort((a, b) => compare(a.name, b.name));
  }

  listJobs(): JobRecord[] {
    return [...this.jobs.values()].sort((a, b) => compare(a.id, b.id));
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
