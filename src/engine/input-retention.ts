/**
 * How far back each job may still read its inputs, and trimming every input stream below what all its
 * readers still need. A job needs each input partition from its last complete checkpoint's cut on (or
 * from where it started, before its first checkpoint); a stream is trimmed below the smallest such
 * offset over the jobs that read it, and not at all while a reader's need is not yet known.
 */
import type { Catalog, Store } from "../store/types.js";
import { jobInputs } from "./query/job-inputs.js";

/** Per input stream, the first offset of each of its partitions a job may still need. */
export type InputNeeds = Map<string, number[]>;

/** Names of the catalogued jobs that read `stream`. */
export async function readersOf(catalog: Catalog, stream: string): Promise<string[]> {
  return (await catalog.listJobs()).filter((j) => jobInputs(j.definition).names.includes(stream)).map((j) => j.id);
}

export class InputRetention {
  private readonly neededFrom = new Map<string, InputNeeds>();

  constructor(private readonly store: Store) {}

  /** Where `jobId` may still need to read from (it started, or was recovered, there). */
  set(jobId: string, needs: InputNeeds): void {
    this.neededFrom.set(jobId, needs);
  }

  /** The job is gone: it holds nothing back any more. */
  forget(jobId: string): void {
    this.neededFrom.delete(jobId);
  }

  /**
   * After a checkpoint of `jobId`: records what it still needs, then trims each of its inputs below
   * what every reader still needs. Best effort: when the store cannot do it now, the next checkpoint does.
   */
  async checkpointed(jobId: string, needs: InputNeeds): Promise<void> {
    this.neededFrom.set(jobId, needs);
    for (const input of needs.keys()) {
      await this.trimBelowReaders(input).catch((error: Error) => {
        if (error.name !== "StoreUnavailableError") throw error;
      });
    }
  }

  private async trimBelowReaders(input: string): Promise<void> {
    const readers = await readersOf(this.store.catalog, input);
    const needs = await Promise.all(readers.map(async (id) => this.neededFrom.get(id)?.get(input) ?? (await this.recordedNeed(id, input))));
    if (needs.some((n) => n === undefined)) return; // a reader not yet known: keep everything
    const stream = await this.store.catalog.getStream(input);
    if (!stream) return;
    for (let p = 0; p < stream.partitions; p++) {
      const keepFrom = Math.min(...needs.map((n) => n![p] ?? 0));
      await this.store.streams.trim(input, p, keepFrom);
    }
  }

  /**
   * What a job this process does not run (another node's, in cluster mode) may still need of `input`,
   * from its recorded batches: its oldest retained descriptor begins at or before everything its
   * recovery could read (descriptors are trimmed only below its oldest kept checkpoint). Undefined
   * while it has recorded none.
   */
  private async recordedNeed(jobId: string, input: string): Promise<number[] | undefined> {
    const [oldest] = await this.store.batches.list(jobId, Number.NEGATIVE_INFINITY, 1);
    if (oldest === undefined) return undefined;
    const need: number[] = [];
    for (const range of oldest.ranges) if (range.stream === input) need[range.partition] = range.from;
    return need;
  }
}
