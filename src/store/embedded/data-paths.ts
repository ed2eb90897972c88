/**
 * Every file and directory name of the embedded store, built in this one place from the data
 * directory:
 *
 *   <dataDir>/tributary.lock                                 the process holding the directory (data-dir-lock.ts)
 *   <dataDir>/catalog.json                                   streams and jobs (rewritten atomically)
 *   <dataDir>/streams/<stream>/<partition>/<base>.seg        framed blocks from offset <base> on, append-only
 *   <dataDir>/streams/<stream>/<partition>/start.json        the partition's start offset after a trim
 *   <dataDir>/streams/<stream>/<partition>/requests.jsonl    request ids of trimmed blocks, still deduping
 *   <dataDir>/batches/<jobId>.jsonl                          batch descriptors, one JSON per line
 *   <dataDir>/results/<jobId>.jsonl                          result frames, one JSON per line
 *   <dataDir>/checkpoints/<jobId>/<batchTime>/<p>.snap       one partition's state snapshot
 *   <dataDir>/checkpoints/<jobId>/<batchTime>/complete.json  marker: this checkpoint is complete
 *
 * Names come from users, so each is checked against the name rule and every path is checked to stay
 * inside the data directory.
 */
import { isAbsolute, join, relative, resolve } from "node:path";
import { assertBatchTime, assertName, assertPartition } from "../contract.js";

const LOCK_FILE = "tributary.lock";
const CATALOG_FILE = "catalog.json";
const STREAMS_DIR = "streams";
const BATCHES_DIR = "batches";
const RESULTS_DIR = "results";
const CHECKPOINTS_DIR = "checkpoints";
export const PARTITION_DIR = /^(0|[1-9][0-9]*)$/;
export const SEGMENT_FILE = /^(0|[1-9][0-9]*)\.seg$/;
const PARTITION_START_FILE = "start.json";
const TRIMMED_REQUESTS_FILE = "requests.jsonl";
export const JSON_LINES_FILE = /^(.+)\.jsonl$/;
export const SNAPSHOT_FILE = /^(0|[1-9][0-9]*)\.snap$/;
export const BATCH_TIME_DIR = /^-?(0|[1-9][0-9]*)$/;
export const COMPLETE_MARKER = "complete.json";

export class DataPaths {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = resolve(dataDir);
  }

  lock(): string {
    return this.inside(LOCK_FILE);
  }

  catalog(): string {
    return this.inside(CATALOG_FILE);
  }

  streams(): string {
    return this.inside(STREAMS_DIR);
  }

  stream(stream: string): string {
    assertName("stream", stream);
    return this.inside(STREAMS_DIR, stream);
  }

  /** The directory of one stream partition's files. */
  partition(stream: string, partition: number): string {
    assertName("stream", stream);
    assertPartition(partition);
    return this.inside(STREAMS_DIR, stream, String(partition));
  }

  /** The segment file whose first block has offset `base`. */
  segment(stream: string, partition: number, base: number): string {
    if (!Number.isSafeInteger(base) || base < 0) throw new RangeError(`segment base must be a non-negative integer, got ${base}`);
    return join(this.partition(stream, partition), `${base}.seg`);
  }

  partitionStart(stream: string, partition: number): string {
    return join(this.partition(stream, partition), PARTITION_START_FILE);
  }

  trimmedRequests(stream: string, partition: number): string {
    return join(this.partition(stream, partition), TRIMMED_REQUESTS_FILE);
  }

  batches(): string {
    return this.inside(BATCHES_DIR);
  }

  batchFile(jobId: string): string {
    assertName("job", jobId);
    return this.inside(BATCHES_DIR, `${jobId}.jsonl`);
  }

  results(): string {
    return this.inside(RESULTS_DIR);
  }

  resultFile(jobId: string): string {
    assertName("job", jobId);
    return this.inside(RESULTS_DIR, `${jobId}.jsonl`);
  }

  checkpoints(): string {
    return this.inside(CHECKPOINTS_DIR);
  }

  jobCheckpoints(jobId: string): string {
    assertName("job", jobId);
    return this.inside(CHECKPOINTS_DIR, jobId);
  }

  checkpoint(jobId: string, batchTime: number): string {
    assertName("job", jobId);
    assertBatchTime(batchTime);
    return this.inside(CHECKPOINTS_DIR, jobId, String(batchTime));
  }

  snapshot(jobId: string, batchTime: number, partition: number): string {
    assertPartition(partition);
    return join(this.checkpoint(jobId, batchTime), `${partition}.snap`);
  }

  completeMarker(jobId: string, batchTime: number): string {
    return join(this.checkpoint(jobId, batchTime), COMPLETE_MARKER);
  }

  /** Joins below the root and refuses anything that would land outside it (belt to the name rule's braces). */
  private inside(...parts: string[]): string {
    const path = join(this.root, ...parts);
    const rel = relative(this.root, path);
    if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) {
      throw new RangeError(`path ${JSON.stringify(parts.join("/"))} escapes the data directory`);
    }
    return path;
  }
}
