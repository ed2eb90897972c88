/**
 * The embedded batch log: one JSON-lines file of descriptors per job, all descriptors also kept in
 * memory. A descriptor re-recorded for the same batch time is appended again and wins on reload; a trim
 * is appended as a marker line `{"trimBefore": T}` and applied again on reload. Once the file holds
 * more than twice the lines it needs, it is rewritten to the retained descriptors.
 */
import { assertName } from "../contract.js";
import { BatchIndex } from "../memory/batch-index.js";
import type { BatchDescriptor, BatchLog } from "../types.js";
import type { AppendOnlyFile, AppendOnlyFileOptions } from "./append-only-file.js";
import type { DataPaths } from "./data-paths.js";
import { JobFiles } from "./job-files.js";
import { encodeJsonLine } from "./json-lines.js";

/** A trim as stored in the file. */
interface TrimMarker {
  readonly trimBefore: number;
}

/** Lines a batch file may hold beyond twice its retained descriptors before it is rewritten. */
const COMPACTION_SLACK = 64;

export class EmbeddedBatchLog implements BatchLog {
  private readonly index = new BatchIndex();
  private readonly files: JobFiles;
  private readonly compacting = new Set<AppendOnlyFile>();

  private constructor(paths: DataPaths, options: AppendOnlyFileOptions) {
    this.files = new JobFiles(paths.batches(), (jobId) => paths.batchFile(jobId), options);
  }

  static async load(paths: DataPaths, options: AppendOnlyFileOptions): Promise<EmbeddedBatchLog> {
    const log = new EmbeddedBatchLog(paths, options);
    await log.files.load((jobId, record) => {
      if (isTrimMarker(record)) {
        log.index.trim(jobId, record.trimBefore);
        return true;
      }
      if (!isBatchDescriptor(record) || record.jobId !== jobId) return false;
      log.index.record(record);
      return true;
    });
    return log;
  }

  async record(descriptor: BatchDescriptor): Promise<void> {
    assertName("job", descriptor.jobId);
    const line = encodeJsonLine(descriptor);
    // Queued now, in call order, so that a trim called next sees it as pending.
    const file = this.files.isDropping(descriptor.jobId) ? await this.files.file(descriptor.jobId) : this.files.fileNow(descriptor.jobId);
    await file.append(line, () => this.index.record(descriptor));
    this.compactIfLong(descriptor.jobId, file);
  }

  async trim(jobId: string, beforeBatchTime: number): Promise<void> {
    assertName("job", jobId);
    if (typeof beforeBatchTime !== "number" || Number.isNaN(beforeBatchTime)) {
      throw new RangeError(`beforeBatchTime must be a number, got ${String(beforeBatchTime)}`);
    }
    if (beforeBatchTime === Number.NEGATIVE_INFINITY) return;
    // JSON has no Infinity; the largest double trims just as much.
    const before = Math.min(beforeBatchTime, Number.MAX_VALUE);
    const oldest = this.index.list(jobId, Number.NEGATIVE_INFINITY, 1)[0];
    // Nothing stored or on its way is older: no marker needed (and no file created for it).
    if ((oldest === undefined || oldest.batchTime >= before) && this.files.pending(jobId) === 0 && !this.files.isDropping(jobId)) return;
    const file = this.files.isDropping(jobId) ? await this.files.file(jobId) : this.files.fileNow(jobId);
    const marker: TrimMarker = { trimBefore: before };
    await file.append(encodeJsonLine(marker), () => this.index.trim(jobId, before));
    this.compactIfLong(jobId, file);
  }

  async list(jobId: string, afterBatchTime: number, limit: number): Promise<BatchDescriptor[]> {
    return this.index.list(jobId, afterBatchTime, limit);
  }

  async last(jobId: string): Promise<BatchDescriptor | undefined> {
    return this.index.last(jobId);
  }

  async drop(jobId: string): Promise<void> {
    assertName("job", jobId);
    await this.files.drop(jobId, () => this.index.drop(jobId));
  }

  close(): Promise<void> {
    return this.files.close();
  }

  /**
   * Rewrites the file to the retained descriptors once it is mostly dead lines. Queued behind the
   * appends already waiting, so it captures exactly what they stored; not awaited (a failure leaves a
   * longer file, retried after the next write).
   */
  private compactIfLong(jobId: string, file: AppendOnlyFile): void {
    if (file.records <= 2 * this.index.size(jobId) + COMPACTION_SLACK || this.compacting.has(file)) return;
    this.compacting.add(file);
    file
      .replace(() => {
        const descriptors = this.index.list(jobId, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
        return { bytes: Buffer.concat(descriptors.map(encodeJsonLine)), records: descriptors.length };
      })
      .catch(() => undefined)
      .finally(() => this.compacting.delete(file));
  }
}

function isTrimMarker(value: unknown): value is TrimMarker {
  const marker = value as Partial<TrimMarker> | null;
  return typeof marker === "object" && marker !== null && typeof marker.trimBefore === "number";
}

function isBatchDescriptor(value: unknown): value is BatchDescriptor {
  const descriptor = value as Partial<BatchDescriptor> | null;
  return (
    typeof descriptor === "object" &&
    descriptor !== null &&
    typeof descriptor.jobId === "string" &&
    typeof descriptor.batchTime === "number" &&
    Array.isArray(descriptor.ranges)
  );
}
