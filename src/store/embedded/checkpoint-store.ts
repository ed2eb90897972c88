/**
 * The embedded checkpoint store: one file per (job, batch time, partition), each written atomically
 * (temp file + fsync + rename), and a `complete.json` marker written the same way once every partition
 * is saved. The marker also holds the job's counters, so they are committed with the checkpoint in
 * that one write. A checkpoint counts as complete only through its marker, so a crash at any point
 * leaves either a complete checkpoint or one that is ignored. The index of what exists is kept in memory;
 * snapshot bytes are read from disk on demand (they are needed only when recovering).
 */
import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { assertCounters, countersFrom, isName } from "../contract.js";
import { CheckpointIndex } from "../memory/checkpoint-index.js";
import { StoreUnavailableError, type CheckpointStore, type JobCounters } from "../types.js";
import { isTempName, writeFileAtomic } from "./atomic-file.js";
import { BATCH_TIME_DIR, COMPLETE_MARKER, SNAPSHOT_FILE, type DataPaths } from "./data-paths.js";
import { KeyedQueue } from "./keyed-queue.js";
import { isMissing, listDirectory } from "./list-directory.js";

interface CompleteMarker {
  readonly batchTime: number;
  readonly partitions: number;
  /** Absent in markers written before checkpoints carried counters. */
  readonly counters?: JobCounters;
}

export class EmbeddedCheckpointStore implements CheckpointStore {
  /** Maps each saved snapshot to its file. */
  private readonly index = new CheckpointIndex<string>();
  /** One job's saves, completions and drops run one at a time, so a prune never races a save. */
  private readonly jobs = new KeyedQueue();
  private closed = false;

  private constructor(private readonly paths: DataPaths) {}

  /**
   * Indexes every snapshot and marker on disk, deletes temporary files left by interrupted writes, and
   * applies the keep-last-two rule (a crash may have stopped a prune half-way).
   */
  static async load(paths: DataPaths): Promise<EmbeddedCheckpointStore> {
    const store = new EmbeddedCheckpointStore(paths);
    const jobIds = (await listDirectory(paths.checkpoints())).filter(isName);
    await Promise.all(jobIds.map((jobId) => store.loadJob(jobId)));
    return store;
  }

  async save(jobId: string, batchTime: number, partition: number, state: Uint8Array): Promise<void> {
    const path = this.paths.snapshot(jobId, batchTime, partition);
    this.assertOpen();
    await this.jobs.run(jobId, async () => {
      await storing(`checkpoint ${batchTime} partition ${partition} of job ${jobId}`, async () => {
        await mkdir(this.paths.checkpoint(jobId, batchTime), { recursive: true });
        await writeFileAtomic(path, state);
      });
      this.index.save(jobId, batchTime, partition, path);
    });
  }

  async complete(jobId: string, batchTime: number, partitions: number, counters?: JobCounters): Promise<void> {
    const marker = this.paths.completeMarker(jobId, batchTime);
    this.assertOpen();
    if (counters !== undefined) assertCounters(counters);
    await this.jobs.run(jobId, async () => {
      this.index.assertCompletable(jobId, batchTime, partitions);
      const content: CompleteMarker = { batchTime, partitions, ...(counters ? { counters } : {}) };
      await storing(`the completion of checkpoint ${batchTime} of job ${jobId}`, async () => {
        // A job without state saved no snapshot, so nothing has made the directory yet.
        await mkdir(this.paths.checkpoint(jobId, batchTime), { recursive: true });
        await writeFileAtomic(marker, Buffer.from(JSON.stringify(content), "utf8"));
      });
      this.index.markComplete(jobId, batchTime, counters);
      await this.remove(jobId, this.index.prune(jobId));
    });
  }

  async listComplete(jobId: string): Promise<number[]> {
    return this.index.listComplete(jobId);
  }

  async counters(jobId: string, batchTime: number): Promise<JobCounters | undefined> {
    return this.index.counters(jobId, batchTime);
  }

  async load(jobId: string, batchTime: number, partition: number): Promise<Uint8Array | undefined> {
    const path = this.index.get(jobId, batchTime, partition);
    if (path === undefined) return undefined;
    try {
      // A fresh, exactly-sized copy: safe for the caller to transfer to a worker thread.
      return new Uint8Array(await readFile(path));
    } catch (error) {
      if (isMissing(error)) return undefined; // pruned or dropped while we looked
      throw error;
    }
  }

  async drop(jobId: string): Promise<void> {
    const dir = this.paths.jobCheckpoints(jobId);
    this.assertOpen();
    await this.jobs.run(jobId, async () => {
      await rm(dir, { recursive: true, force: true });
      this.index.drop(jobId);
    });
  }

  /** Refuses new writes and waits for the queued ones. */
  async close(): Promise<void> {
    this.closed = true;
    await this.jobs.idle();
  }

  private async loadJob(jobId: string): Promise<void> {
    const jobDir = this.paths.jobCheckpoints(jobId);
    for (const name of await listDirectory(jobDir)) {
      const batchTime = Number(name);
      if (!BATCH_TIME_DIR.test(name) || !Number.isSafeInteger(batchTime)) continue;
      const dir = this.paths.checkpoint(jobId, batchTime);
      let marker: CompleteMarker | undefined;
      for (const file of await listDirectory(dir)) {
        const partition = SNAPSHOT_FILE.exec(file)?.[1];
        if (partition !== undefined) this.index.save(jobId, batchTime, Number(partition), join(dir, file));
        else if (isTempName(file)) await rm(join(dir, file), { force: true });
        else if (file === COMPLETE_MARKER) marker = await readMarker(join(dir, file));
      }
      if (marker === undefined) continue;
      try {
        this.index.assertCompletable(jobId, batchTime, marker.partitions);
        this.index.markComplete(jobId, batchTime, marker.counters);
      } catch {
        // A marker without all its snapshots cannot be restored from: treat the checkpoint as incomplete.
      }
    }
    await this.remove(jobId, this.index.prune(jobId));
  }

  /**
   * Deletes pruned checkpoints, marker first so that a crash half-way can never leave a "complete"
   * checkpoint with missing snapshots. Failures are ignored: the checkpoint that made these obsolete is
   * already complete, and the next load prunes again.
   */
  private async remove(jobId: string, batchTimes: readonly number[]): Promise<void> {
    for (const batchTime of batchTimes) {
      try {
        await rm(this.paths.completeMarker(jobId, batchTime), { force: true });
        await rm(this.paths.checkpoint(jobId, batchTime), { recursive: true, force: true });
      } catch {
        // see above
      }
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreUnavailableError("the embedded store is closed");
  }
}

/** The marker's content, or undefined when it cannot be read (then the checkpoint is not complete). */
async function readMarker(path: string): Promise<CompleteMarker | undefined> {
  try {
    const marker = JSON.parse(await readFile(path, "utf8")) as Partial<CompleteMarker>;
    if (typeof marker.partitions !== "number" || typeof marker.batchTime !== "number") return undefined;
    const counters = countersFrom(marker.counters);
    return { batchTime: marker.batchTime, partitions: marker.partitions, ...(counters ? { counters } : {}) };
  } catch {
    return undefined;
  }
}

/** Runs a disk write, reporting any failure as StoreUnavailableError (the API answers 503). */
async function storing<T>(what: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    throw new StoreUnavailableError(`cannot store ${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
