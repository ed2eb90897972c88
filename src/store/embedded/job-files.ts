/**
 * The append-only files of one kind (batches or results) keyed by job, with the bookkeeping both logs
 * share: open on first use, load every file at start-up, and drop a job without racing its appends.
 */
import { readFile, rm, truncate } from "node:fs/promises";
import { join } from "node:path";
import { isName } from "../contract.js";
import { StoreUnavailableError } from "../types.js";
import { AppendOnlyFile, type AppendOnlyFileOptions } from "./append-only-file.js";
import { isTempName } from "./atomic-file.js";
import { JSON_LINES_FILE } from "./data-paths.js";
import { decodeJsonLines } from "./json-lines.js";
import { listDirectory } from "./list-directory.js";

export class JobFiles {
  private readonly files = new Map<string, AppendOnlyFile>();
  private readonly drops = new Map<string, Promise<void>>();
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly pathOf: (jobId: string) => string,
    private readonly options: AppendOnlyFileOptions,
  ) {}

  /**
   * Reads every job's file, handing its records in file order to `restore`, which takes a record
   * (true) or rejects it as the start of a torn or corrupt tail (false); tails are cut away. Stray
   * temporary files from an interrupted compaction are deleted.
   */
  async load(restore: (jobId: string, record: unknown) => boolean): Promise<void> {
    const loads = (await listDirectory(this.dir)).map(async (name) => {
      const jobId = JSON_LINES_FILE.exec(name)?.[1];
      if (jobId !== undefined && isName(jobId)) {
        const path = this.pathOf(jobId);
        const bytes = await readFile(path);
        const { records, validLength } = decodeJsonLines(bytes, (record) => restore(jobId, record));
        if (validLength < bytes.length) await truncate(path, validLength);
        this.files.set(jobId, new AppendOnlyFile(path, validLength, records, this.options));
      } else if (isTempName(name)) {
        await rm(join(this.dir, name), { force: true });
      }
    });
    await Promise.all(loads);
  }

  /**
   * The job's file, once any drop of the job in progress has finished. Callers that need to act in
   * call order (checking a seq) must use {@link fileNow} when no drop is pending.
   */
  async file(jobId: string): Promise<AppendOnlyFile> {
    const dropping = this.drops.get(jobId);
    if (dropping !== undefined) await dropping.catch(() => undefined);
    return this.fileNow(jobId);
  }

  /** Appends queued or in flight on the job's file (0 when it has none). */
  pending(jobId: string): number {
    return this.files.get(jobId)?.pending ?? 0;
  }

  /** True while the job is being dropped. */
  isDropping(jobId: string): boolean {
    return this.drops.has(jobId);
  }

  /** The job's file, created on first use; throws once closed. */
  fileNow(jobId: string): AppendOnlyFile {
    if (this.closed) throw new StoreUnavailableError("the embedded store is closed");
    let file = this.files.get(jobId);
    if (file === undefined) {
      file = new AppendOnlyFile(this.pathOf(jobId), 0, 0, this.options);
      this.files.set(jobId, file);
    }
    return file;
  }

  /** Waits for the job's queued writes, runs `forget` (clear the index), then deletes the file. */
  async drop(jobId: string, forget: () => void): Promise<void> {
    if (this.closed) throw new StoreUnavailableError("the embedded store is closed");
    const path = this.pathOf(jobId);
    const previous = this.drops.get(jobId);
    const dropping = (async () => {
      if (previous !== undefined) await previous.catch(() => undefined);
      const file = this.files.get(jobId);
      this.files.delete(jobId);
      await file?.close();
      forget();
      await rm(path, { force: true });
    })();
    this.drops.set(jobId, dropping);
    try {
      await dropping;
    } finally {
      if (this.drops.get(jobId) === dropping) this.drops.delete(jobId);
    }
  }

  /** Refuses new writes and waits for the queued ones. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled(this.drops.values());
    await Promise.all([...this.files.values()].map((file) => file.close()));
  }
}
