/**
 * The embedded result log: one JSON-lines file of frames per job, the retained frames kept in memory
 * (ResultIndex: frames with rows within the history bounds, and the newest frame). Every frame is
 * appended to the file; once it holds more than twice what is retained, it is compacted to a header
 * line `{"historyFrom": first}` (where the history begins, which a frame without rows may have been)
 * and the retained frames, so it never grows without bound.
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
    const historyFrom = new Map<string, number>();
    await log.files.load((jobId, record) => {
      const last = log.index.lastSeq(jobId);
      if (last === 0 && !historyFrom.has(jobId) && isHistoryHeader(record)) {
        historyFrom.set(jobId, record.historyFrom);
        return true;
      }
      // Seqs on file increase (with holes after a compaction); anything else is corruption, and the
      // rest is treated as a bad tail.
      if (!isResultFrame(record) || record.seq <= last) return false;
      log.index.restore(jobId, record, last === 0 ? historyFrom.get(jobId) : undefined);
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
    const retained = Math.max(this.index.retainedCount(jobId), Math.min(this.index.bounds.frames, COMPACT_AT_LEAST));
    if (file.records > 2 * retained) this.compact(jobId, file);
  }

  async read(jobId: string, fromSeq: number, limit: number): Promise<ResultFrame[]> {
    return this.index.read(jobId, fromSeq, limit);
  }

  async readNewest(jobId: string, limit: number): Promise<ResultFrame[]> {
    return this.index.readNewest(jobId, limit);
  }

  async bounds(jobId: string): Promise<{ first: number; last: number }> {
    return this.index.seqBounds(jobId);
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
        if (frames.length === 0) return { bytes: Buffer.alloc(0), records: 0 };
        const header = encodeJsonLine({ historyFrom: this.index.seqBounds(jobId).first });
        return { bytes: Buffer.concat([header, ...frames.map(encodeJsonLine)]), records: frames.length + 1 };
      })
      .catch(() => undefined)
      .finally(() => this.compacting.delete(file));
  }
}

/** The first line of a compacted file: the oldest seq its history covers. */
function isHistoryHeader(value: unknown): value is { historyFrom: number } {
  const header = value as { historyFrom?: unknown } | null;
  return typeof header === "object" && header !== null && Number.isSafeInteger(header.historyFrom) && (header.historyFrom as number) >= 1;
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
