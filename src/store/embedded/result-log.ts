/**
 * The embedded result log: one JSON-lines file of frames per job, the newest frames kept in memory (as
 * many as the index's frame and row bounds allow). The file is compacted to the retained frames once it
 * holds more than twice as many, so it never grows without bound.
 */
import { assertName, assertNextSeq } from "../contract.js";
import { ResultIndex } from "../memory/result-index.js";
import type { ResultFrame, ResultLog } from "../types.js";
import type { AppendOnlyFile, AppendOnlyFileOptions } from "./append-only-file.js";
import type { DataPaths } from "./data-paths.js";
import { JobFiles } from "./job-files.js";
import { encodeJsonLine } from "./json-lines.js";

const COMPACT_AT_LEAST = 64;

export class EmbeddedResultLog implements ResultLog {
  private readonly index: ResultIndex;
  private readonly files: JobFiles;
  private readonly compacting = new Set<AppendOnlyFile>();

  /** `index`: an empty ResultIndex with the history bounds to keep. */
  private constructor(paths: DataPaths, index: ResultIndex, options: AppendOnlyFileOptions) {
    this.index = index;
    this.files = new JobFiles(paths.results(), (jobId) => paths.resultFile(jobId), options);
  }

  static async load(paths: DataPaths, index: ResultIndex, options: AppendOnlyFileOptions): Promise<EmbeddedResultLog> {
    const log = new EmbeddedResultLog(paths, index, options);
    await log.files.load((jobId, record) => {
      const last = log.index.lastSeq(jobId);
      // Frames on file are contiguous; a break means corruption, and the rest is treated as a bad tail.
      if (!isResultFrame(record) || (last > 0 && record.seq !== last + 1)) return false;
      log.index.restore(jobId, record);
      return true;
    });
    return log;
  }

  async append(jobId: string, frame: ResultFrame): Promise<void> {
    assertName("job", jobId);
    // The seq is checked now, in call order, against the last stored seq plus the appends still in
    // flight, so a caller may append 1, 2, 3 without waiting for each.
    const file = this.files.isDropping(jobId) ? await this.files.file(jobId) : this.files.fileNow(jobId);
    assertNextSeq(jobId, this.index.lastSeq(jobId) + file.pending, frame.seq);
    const line = encodeJsonLine(frame);
    await file.append(line, () => this.index.append(jobId, frame));
    // Compacted once the file holds twice what is retained: at least twice 64 frames (or the history, if
    // shorter), so that a history cut short by its row bound is not rewritten at every append.
    const retained = Math.max(this.index.retainedCount(jobId), Math.min(this.index.history, COMPACT_AT_LEAST));
    if (file.records > 2 * retained) this.compact(jobId, file);
  }

  async read(jobId: string, fromSeq: number, limit: number): Promise<ResultFrame[]> {
    return this.index.read(jobId, fromSeq, limit);
  }

  async bounds(jobId: string): Promise<{ first: number; last: number }> {
    return this.index.bounds(jobId);
  }

  async drop(jobId: string): Promise<void> {
    assertName("job", jobId);
    await this.files.drop(jobId, () => this.index.drop(jobId));
  }

  close(): Promise<void> {
    return this.files.close();
  }

  /**
   * Rewrites the file to the retained frames. Queued behind the appends already waiting, so it captures
   * exactly what they stored; not awaited by the append that triggered it (a failure leaves a longer
   * file, retried after the next append).
   */
  private compact(jobId: string, file: AppendOnlyFile): void {
    if (this.compacting.has(file)) return;
    this.compacting.add(file);
    file
      .replace(() => {
        const frames = this.index.retained(jobId);
        return { bytes: Buffer.concat(frames.map(encodeJsonLine)), records: frames.length };
      })
      .catch(() => undefined)
      .finally(() => this.compacting.delete(file));
  }
}

function isResultFrame(value: unknown): value is ResultFrame {
  const frame = value as Partial<ResultFrame> | null;
  return (
    typeof frame === "object" &&
    frame !== null &&
    Number.isSafeInteger(frame.seq) &&
    (frame.seq as number) >= 1 &&
    typeof frame.batchTime === "number" &&
    Array.isArray(frame.rows)
  );
}
