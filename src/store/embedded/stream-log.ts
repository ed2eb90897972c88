/**
 * The embedded stream log: one directory of segment files per stream partition (see partition-log.ts),
 * and every retained block also kept in memory so reads never touch the disk. Appends to one partition
 * are written in call order; different partitions write independently. Request ids are remembered in
 * memory for the idempotency retention and rebuilt from the files at open.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { assertName, assertPartition, assertRequestId, assertTrimPoint, isName } from "../contract.js";
import { BlockIndex } from "../memory/block-index.js";
import { RequestIndex } from "../memory/request-index.js";
import { StoreUnavailableError, type AppendResult, type Block, type BlockAppend, type BlockRange, type PartitionExtent, type StreamLog } from "../types.js";
import { isTempName } from "./atomic-file.js";
import { encodeBlockFrame, framePayload } from "./block-frame.js";
import { PARTITION_DIR, type DataPaths } from "./data-paths.js";
import { listDirectory } from "./list-directory.js";
import { PartitionLog, type PartitionIndexes, type PartitionLogOptions } from "./partition-log.js";

/** Options of {@link EmbeddedStreamLog}. */
export interface EmbeddedStreamLogOptions extends PartitionLogOptions {
  readonly idempotencyRetentionMs: number;
}

export class EmbeddedStreamLog implements StreamLog {
  private readonly indexes: PartitionIndexes;
  private readonly logs = new Map<string, Map<number, PartitionLog>>();
  /** Appends with a request id still being written, so a concurrent retry waits for the first. */
  private readonly inFlight = new Map<string, Promise<AppendResult>>();
  /** Drops in progress: appends to the same stream wait for them, so no block lands in a deleted file. */
  private readonly drops = new Map<string, Promise<void>>();
  private closed = false;

  private constructor(
    private readonly paths: DataPaths,
    private readonly options: EmbeddedStreamLogOptions,
  ) {
    this.indexes = { blocks: new BlockIndex(), requests: new RequestIndex(options.idempotencyRetentionMs) };
  }

  /** Reads every partition under the data directory, cutting away torn tails. */
  static async load(paths: DataPaths, options: EmbeddedStreamLogOptions): Promise<EmbeddedStreamLog> {
    const log = new EmbeddedStreamLog(paths, options);
    const loads: Promise<void>[] = [];
    for (const stream of await listDirectory(paths.streams())) {
      if (!isName(stream)) continue;
      const dir = paths.stream(stream);
      for (const name of await listDirectory(dir)) {
        if (PARTITION_DIR.test(name)) {
          const partition = Number(name);
          loads.push(
            PartitionLog.load(paths, stream, partition, log.indexes, options).then((loaded) => {
              log.partitionsOf(stream).set(partition, loaded);
            }),
          );
        } else if (isTempName(name)) {
          loads.push(rm(join(dir, name), { force: true }));
        }
      }
    }
    await Promise.all(loads);
    return log;
  }

  async append(stream: string, partition: number, block: BlockAppend): Promise<AppendResult> {
    assertName("stream", stream);
    assertPartition(partition);
    const { requestId } = block;
    if (requestId !== undefined) assertRequestId(requestId);
    const dropping = this.drops.get(stream);
    if (dropping !== undefined) await dropping.catch(() => undefined);
    this.assertOpen();
    if (requestId === undefined) return this.appendNew(stream, partition, block, undefined);

    const original = this.indexes.requests.find(stream, partition, requestId, Date.now());
    if (original !== undefined) return { offset: original, duplicate: true };
    const key = `${stream}\u0000${partition}\u0000${requestId}`;
    const inFlight = this.inFlight.get(key);
    if (inFlight !== undefined) {
      // The first attempt's outcome decides: its offset, or (if it failed) a fresh attempt of our own.
      return inFlight.then(
        (first) => ({ offset: first.offset, duplicate: true }),
        () => this.append(stream, partition, block),
      );
    }
    const appending = this.appendNew(stream, partition, block, requestId);
    this.inFlight.set(key, appending);
    const settle = (): void => {
      if (this.inFlight.get(key) === appending) this.inFlight.delete(key);
    };
    void appending.then(settle, settle);
    return appending;
  }

  async endOffset(stream: string, partition: number): Promise<number> {
    return this.indexes.blocks.endOffset(stream, partition);
  }

  async startOffset(stream: string, partition: number): Promise<number> {
    return this.indexes.blocks.startOffset(stream, partition);
  }

  async read(range: BlockRange): Promise<Block[]> {
    return this.indexes.blocks.read(range);
  }

  async extent(stream: string, partition: number, from?: number): Promise<PartitionExtent> {
    return this.indexes.blocks.extent(stream, partition, from);
  }

  async offsetAt(stream: string, partition: number, time: number): Promise<number> {
    return this.indexes.blocks.offsetAt(stream, partition, time);
  }

  async offsetKeepingBytes(stream: string, partition: number, bytes: number): Promise<number> {
    return this.indexes.blocks.offsetKeepingBytes(stream, partition, bytes);
  }

  async trim(stream: string, partition: number, beforeOffset: number): Promise<void> {
    assertName("stream", stream);
    assertPartition(partition);
    assertTrimPoint(beforeOffset);
    const dropping = this.drops.get(stream);
    if (dropping !== undefined) await dropping.catch(() => undefined);
    this.assertOpen();
    await this.logs.get(stream)?.get(partition)?.trim(beforeOffset);
  }

  async drop(stream: string): Promise<void> {
    assertName("stream", stream);
    this.assertOpen();
    const previous = this.drops.get(stream);
    const dropping = (async () => {
      if (previous !== undefined) await previous.catch(() => undefined);
      const logs = this.logs.get(stream);
      this.logs.delete(stream);
      await Promise.all([...(logs?.values() ?? [])].map((log) => log.close()));
      // Forget the blocks before deleting: if deletion fails half-way, new appends start a fresh
      // segment (an AppendOnlyFile at size 0 cuts what is left) instead of continuing stale offsets.
      this.indexes.blocks.drop(stream);
      this.indexes.requests.drop(stream);
      await rm(this.paths.stream(stream), { recursive: true, force: true });
    })();
    this.drops.set(stream, dropping);
    try {
      await dropping;
    } finally {
      if (this.drops.get(stream) === dropping) this.drops.delete(stream);
    }
  }

  /** Refuses new appends and waits for the queued ones. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled(this.drops.values());
    const logs = [...this.logs.values()].flatMap((partitions) => [...partitions.values()]);
    await Promise.all(logs.map((log) => log.close()));
  }

  private appendNew(stream: string, partition: number, block: BlockAppend, requestId: string | undefined): Promise<AppendResult> {
    const appendedAt = Date.now();
    const frame = encodeBlockFrame(block.count, appendedAt, block.payload, requestId);
    // The frame already holds a private copy of the payload; the index keeps a view of it.
    const payload = framePayload(frame);
    const request = requestId === undefined ? undefined : { requestId, appendedAt };
    return this.logOf(stream, partition).append(frame, request, (offset) => {
      this.indexes.blocks.push(stream, partition, { offset, count: block.count, appendedAt, payload });
      if (requestId !== undefined) this.indexes.requests.remember(stream, partition, requestId, offset, appendedAt);
      return { offset, duplicate: false };
    });
  }

  private logOf(stream: string, partition: number): PartitionLog {
    const partitions = this.partitionsOf(stream);
    let log = partitions.get(partition);
    if (log === undefined) {
      log = PartitionLog.create(this.paths, stream, partition, this.indexes, this.options);
      partitions.set(partition, log);
    }
    return log;
  }

  private partitionsOf(stream: string): Map<number, PartitionLog> {
    let partitions = this.logs.get(stream);
    if (partitions === undefined) {
      partitions = new Map();
      this.logs.set(stream, partitions);
    }
    return partitions;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreUnavailableError("the embedded store is closed");
  }
}
