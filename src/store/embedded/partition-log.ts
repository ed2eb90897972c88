/**
 * One stream partition on disk. Its blocks live in segment files, each named by the offset of its first
 * block; appends go to the newest (active) segment with group commit, and once it holds `segmentBytes`
 * a new one begins. A trim first records the new start offset (start.json), then deletes the sealed
 * segments that lie wholly below it, so memory is freed at once and disk a segment at a time:
 *
 *   0.seg          4096.seg         8192.seg (active)
 *   [0 ....... 4095][4096 .... 8191][8192 ...... end)
 *                        ^ start: 0.seg is deleted; 4096.seg stays, its blocks below start hidden
 *
 * Request ids of deleted blocks that still dedupe are first appended to requests.jsonl, so that a
 * retry arriving after a trim and a restart is still recognised.
 */
import { mkdir, readFile, rm, truncate } from "node:fs/promises";
import { join } from "node:path";
import type { BlockIndex } from "../memory/block-index.js";
import type { RequestIndex } from "../memory/request-index.js";
import { StoreUnavailableError } from "../types.js";
import { AppendOnlyFile, type AppendOnlyFileOptions } from "./append-only-file.js";
import { isTempName, writeFileAtomic } from "./atomic-file.js";
import { decodeBlockFrames } from "./block-frame.js";
import { SEGMENT_FILE, type DataPaths } from "./data-paths.js";
import { encodeJsonLine } from "./json-lines.js";
import { isMissing, listDirectory } from "./list-directory.js";
import { loadTrimmedRequests, type TrimmedRequest } from "./trimmed-requests.js";

/** Options of a {@link PartitionLog}. */
export interface PartitionLogOptions extends AppendOnlyFileOptions {
  /** A segment takes appends until it holds this many bytes; then the next one begins. */
  readonly segmentBytes: number;
}

/** The store-wide in-memory indexes a partition's files are loaded into. */
export interface PartitionIndexes {
  readonly blocks: BlockIndex;
  readonly requests: RequestIndex;
}

interface Segment {
  readonly base: number;
  readonly path: string;
  records: number;
  /** The request ids stored in this segment, to carry over when it is deleted. */
  readonly requests: TrimmedRequest[];
}

interface ActiveSegment {
  readonly segment: Segment;
  readonly file: AppendOnlyFile;
  /** Bytes written and queued: decides when to roll. */
  bytes: number;
}

/** requests.jsonl is rewritten to its live lines once it has grown to twice its last size and this many. */
const MIN_REQUESTS_COMPACTION = 1024;

export class PartitionLog {
  private readonly sealed: Segment[] = [];
  private active: ActiveSegment | undefined;
  /** Set while a full segment's queued writes finish; appends wait for it so offsets stay in order. */
  private rolling: Promise<void> | undefined;
  private trimming: Promise<void> = Promise.resolve();
  private requestsCompactedAt = 0;
  private closed = false;

  private constructor(
    private readonly paths: DataPaths,
    private readonly stream: string,
    private readonly partition: number,
    private readonly indexes: PartitionIndexes,
    private readonly options: PartitionLogOptions,
    private readonly requestsFile: AppendOnlyFile,
    /** Offset of the oldest retained block. */
    private start: number,
    /** One past the offset of the last written block. */
    private end: number,
  ) {}

  /** A partition with no files yet; they are created by its first append. */
  static create(paths: DataPaths, stream: string, partition: number, indexes: PartitionIndexes, options: PartitionLogOptions): PartitionLog {
    const requestsFile = new AppendOnlyFile(paths.trimmedRequests(stream, partition), 0, 0, options);
    return new PartitionLog(paths, stream, partition, indexes, options, requestsFile, 0, 0);
  }

  /**
   * Loads a partition directory into the indexes: the start offset, the request ids of trimmed blocks,
   * then every segment in offset order. A torn tail is cut away; a segment that does not continue where
   * the previous one ended (only after damage beyond a crash) is deleted with every segment after it.
   */
  static async load(paths: DataPaths, stream: string, partition: number, indexes: PartitionIndexes, options: PartitionLogOptions): Promise<PartitionLog> {
    const dir = paths.partition(stream, partition);
    const now = Date.now();
    const names = await listDirectory(dir);
    for (const name of names) if (isTempName(name)) await rm(join(dir, name), { force: true });
    const start = await readStart(paths.partitionStart(stream, partition));
    const requestsFile = await loadTrimmedRequests(paths.trimmedRequests(stream, partition), stream, partition, indexes.requests, now, options);
    const bases = names.flatMap((name) => SEGMENT_FILE.exec(name)?.[1] ?? []).map(Number).sort((a, b) => a - b);

    const log = new PartitionLog(paths, stream, partition, indexes, options, requestsFile, start, start);
    log.requestsCompactedAt = requestsFile.records;
    await log.loadSegments(bases, now);
    await log.deleteSegmentsBelow(log.start, now);
    return log;
  }

  /**
   * Appends one frame. `commit(offset)` runs once it is written, in offset order; its result is what
   * the returned promise resolves with.
   */
  append<T>(frame: Buffer, request: { requestId: string; appendedAt: number } | undefined, commit: (offset: number) => T): Promise<T> {
    if (this.closed) return Promise.reject(new StoreUnavailableError("the embedded store is closed"));
    return this.enqueue(frame, request, commit);
  }

  /** Drops blocks below `beforeOffset` (never past the end): durably first, then from memory and disk. */
  trim(beforeOffset: number): Promise<void> {
    if (this.closed) return Promise.reject(new StoreUnavailableError("the embedded store is closed"));
    const run = this.trimming.then(() => this.runTrim(beforeOffset));
    this.trimming = run.catch(() => undefined);
    return run;
  }

  /** Waits for queued appends and trims, then closes the files. */
  async close(): Promise<void> {
    this.closed = true;
    await this.trimming;
    while (this.rolling !== undefined) await this.rolling;
    await this.active?.file.close();
    await this.requestsFile.close();
  }

  private enqueue<T>(frame: Buffer, request: { requestId: string; appendedAt: number } | undefined, commit: (offset: number) => T): Promise<T> {
    if (this.rolling !== undefined) return this.rolling.then(() => this.enqueue(frame, request, commit));
    const active = this.active ?? this.openSegment();
    if (active.bytes > 0 && active.bytes + frame.byteLength > this.options.segmentBytes) {
      this.roll(active);
      return this.enqueue(frame, request, commit);
    }
    active.bytes += frame.byteLength;
    return active.file.append(frame, (record) => {
      const offset = active.segment.base + record;
      active.segment.records = record + 1;
      this.end = offset + 1;
      if (request !== undefined) active.segment.requests.push({ requestId: request.requestId, offset, appendedAt: request.appendedAt });
      return commit(offset);
    });
  }

  /**
   * Seals the active segment once its queued writes are done. The next segment is opened only then,
   * at the offset those writes really reached (a failed write does not leave a gap).
   */
  private roll(previous: ActiveSegment): void {
    this.active = undefined;
    const rolling = previous.file
      .close()
      .catch(() => undefined)
      .then(() => {
        // An empty segment is not sealed: the next one has the same base, so it reuses the file.
        if (previous.segment.records > 0) this.sealed.push(previous.segment);
        this.rolling = undefined;
      });
    this.rolling = rolling;
  }

  private openSegment(): ActiveSegment {
    const base = this.end;
    const segment: Segment = { base, path: this.paths.segment(this.stream, this.partition, base), records: 0, requests: [] };
    this.active = { segment, file: new AppendOnlyFile(segment.path, 0, 0, this.options), bytes: 0 };
    return this.active;
  }

  private async runTrim(beforeOffset: number): Promise<void> {
    const before = Math.min(this.end, Math.ceil(beforeOffset));
    if (!(before > this.start)) return;
    try {
      await mkdir(this.paths.partition(this.stream, this.partition), { recursive: true });
      await writeFileAtomic(this.paths.partitionStart(this.stream, this.partition), Buffer.from(JSON.stringify({ start: before })));
    } catch (error) {
      throw new StoreUnavailableError(
        `cannot trim ${this.stream}/${this.partition}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    this.start = before;
    this.indexes.blocks.trim(this.stream, this.partition, before);
    // The trim is durable now; a segment not deleted here is deleted by the next trim or load.
    await this.deleteSegmentsBelow(before, Date.now()).catch(() => undefined);
  }

  /** Deletes sealed segments wholly below `before`, first saving their request ids that still dedupe. */
  private async deleteSegmentsBelow(before: number, now: number): Promise<void> {
    for (let segment = this.sealed[0]; segment !== undefined && segment.base + segment.records <= before; segment = this.sealed[0]) {
      const live = segment.requests.filter((each) => this.indexes.requests.find(this.stream, this.partition, each.requestId, now) === each.offset);
      await Promise.all(live.map((each) => this.requestsFile.append(encodeJsonLine(each), () => undefined)));
      await rm(segment.path, { force: true });
      this.sealed.shift();
    }
    if (this.requestsFile.records >= 2 * Math.max(MIN_REQUESTS_COMPACTION, this.requestsCompactedAt)) this.compactTrimmedRequests();
  }

  /** Rewrites requests.jsonl to the entries that still dedupe; a failure just leaves a longer file. */
  private compactTrimmedRequests(): void {
    this.requestsFile
      .replace(() => {
        const lines = this.indexes.requests
          .entries(this.stream, this.partition, Date.now())
          .filter(([, entry]) => entry.offset < this.start)
          .map(([requestId, entry]) => encodeJsonLine({ requestId, offset: entry.offset, appendedAt: entry.appendedAt }));
        return { bytes: Buffer.concat(lines), records: lines.length };
      })
      .then(() => {
        this.requestsCompactedAt = this.requestsFile.records;
      })
      .catch(() => undefined);
  }

  private async loadSegments(bases: readonly number[], now: number): Promise<void> {
    const loaded: { segment: Segment; size: number }[] = [];
    let damaged = false;
    for (const base of bases) {
      const path = this.paths.segment(this.stream, this.partition, base);
      const previous = loaded[loaded.length - 1]?.segment;
      if (damaged || (previous !== undefined && base !== previous.base + previous.records)) {
        damaged = true;
        await rm(path, { force: true });
        continue;
      }
      const bytes = await readFile(path);
      const { blocks, validLength } = decodeBlockFrames(bytes);
      if (validLength < bytes.length) {
        await truncate(path, validLength); // a torn last frame from a crash
        damaged = true; // nothing written after it can follow on
      }
      const segment: Segment = { base, path, records: blocks.length, requests: [] };
      if (loaded.length === 0) {
        // Nothing below the first segment survives, whatever start.json says.
        this.start = Math.max(this.start, base);
        this.indexes.blocks.startAt(this.stream, this.partition, this.start);
      }
      blocks.forEach((block, n) => {
        const offset = base + n;
        if (block.requestId !== undefined) {
          const request = { requestId: block.requestId, offset, appendedAt: block.appendedAt };
          segment.requests.push(request);
          if (this.indexes.requests.isLive(request, now)) this.indexes.requests.remember(this.stream, this.partition, block.requestId, offset, block.appendedAt);
        }
        if (offset >= this.start) {
          this.indexes.blocks.push(this.stream, this.partition, { offset, count: block.count, appendedAt: block.appendedAt, payload: block.payload });
        }
      });
      loaded.push({ segment, size: validLength });
    }
    const last = loaded[loaded.length - 1];
    this.end = Math.max(this.start, last === undefined ? 0 : last.segment.base + last.segment.records);
    if (loaded.length === 0) this.indexes.blocks.startAt(this.stream, this.partition, this.start);
    // The newest segment keeps taking appends, unless it lies wholly below the start.
    for (const { segment } of loaded.slice(0, -1)) this.sealed.push(segment);
    if (last !== undefined) {
      if (last.segment.base + last.segment.records <= this.start) this.sealed.push(last.segment);
      else this.active = { segment: last.segment, file: new AppendOnlyFile(last.segment.path, last.size, last.segment.records, this.options), bytes: last.size };
    }
  }
}

/** The start offset saved by the last trim (0 when never trimmed). */
async function readStart(path: string): Promise<number> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if (isMissing(error)) return 0;
    throw error;
  }
  // Written only by atomic rename, so a file that does not parse is real damage.
  const start = (JSON.parse(text) as { start?: unknown }).start;
  if (typeof start !== "number" || !Number.isSafeInteger(start) || start < 0) throw new Error(`${path} does not hold a start offset`);
  return start;
}
