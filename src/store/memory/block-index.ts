/**
 * The retained blocks of every stream partition, in offset order, held in memory. The memory store is
 * this (plus its request index); the embedded store keeps one as the read side of its segment files.
 *
 * A partition is a window [start, end) over its offsets: appends move `end`, trims move `start`, and
 * an offset never changes meaning.
 */
import type { Block, BlockRange, PartitionExtent } from "../types.js";

interface PartitionBlocks {
  /** blocks[head..] are retained; the dead prefix is cut off in bulk so trimming stays cheap per block. */
  blocks: Block[];
  head: number;
  /** Offset of blocks[head]. */
  start: number;
  /** Events and payload bytes in the retained blocks. */
  events: number;
  bytes: number;
}

/** Dead prefix length from which a trimmed partition's array is copied down (and the garbage freed). */
const COMPACT_AFTER = 1024;

export class BlockIndex {
  private readonly streams = new Map<string, Map<number, PartitionBlocks>>();

  /** The offset the next block of this partition will get (0 when empty). */
  endOffset(stream: string, partition: number): number {
    const blocks = this.streams.get(stream)?.get(partition);
    return blocks === undefined ? 0 : blocks.start + blocks.blocks.length - blocks.head;
  }

  /** The oldest offset still retained (0 until the partition is trimmed). */
  startOffset(stream: string, partition: number): number {
    return this.streams.get(stream)?.get(partition)?.start ?? 0;
  }

  /**
   * Places an empty partition at `offset`: its next block gets this offset. For loaders whose data
   * begins after a trim.
   */
  startAt(stream: string, partition: number, offset: number): void {
    const blocks = this.partitionOf(stream, partition);
    if (blocks.blocks.length > blocks.head) {
      throw new Error(`partition ${stream}/${partition} already holds blocks; it cannot be moved to offset ${offset}`);
    }
    blocks.start = offset;
  }

  /**
   * Adds the next block of its partition. The index keeps `block.payload` as given, so the caller
   * hands over a buffer nobody else writes to or transfers.
   */
  push(stream: string, partition: number, block: Block): void {
    const blocks = this.partitionOf(stream, partition);
    const end = blocks.start + blocks.blocks.length - blocks.head;
    // A gap or overlap here means offsets were handed out wrongly; storing it would corrupt every read after.
    if (block.offset !== end) {
      throw new Error(`block offset ${block.offset} is not the end offset ${end} of ${stream}/${partition}`);
    }
    blocks.blocks.push(block);
    blocks.events += block.count;
    blocks.bytes += block.payload.byteLength;
  }

  /** What the partition retains (see StreamLog.extent). */
  extent(stream: string, partition: number, from = 0): PartitionExtent {
    const blocks = this.streams.get(stream)?.get(partition);
    if (blocks === undefined) return { start: 0, end: 0, events: 0, bytes: 0, oldestAppendedAt: null };
    const end = blocks.start + blocks.blocks.length - blocks.head;
    const first = blocks.head + Math.max(0, Math.min(end, Math.ceil(from)) - blocks.start);
    let { events, bytes } = blocks;
    // From a later offset: what lies before it is subtracted (registration and catch-up ask this).
    for (let i = blocks.head; i < first; i++) {
      events -= blocks.blocks[i]!.count;
      bytes -= blocks.blocks[i]!.payload.byteLength;
    }
    const oldest = blocks.blocks[first];
    return { start: blocks.start, end, events, bytes, oldestAppendedAt: oldest === undefined ? null : oldest.appendedAt };
  }

  /** The first retained offset appended at or after `time`; the end offset when none was (binary search). */
  offsetAt(stream: string, partition: number, time: number): number {
    const blocks = this.streams.get(stream)?.get(partition);
    if (blocks === undefined) return 0;
    let lo = blocks.head;
    let hi = blocks.blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (blocks.blocks[mid]!.appendedAt < time) lo = mid + 1;
      else hi = mid;
    }
    return blocks.start + lo - blocks.head;
  }

  /** The smallest retained offset from which the blocks hold at most `bytes` payload bytes. */
  offsetKeepingBytes(stream: string, partition: number, bytes: number): number {
    const blocks = this.streams.get(stream)?.get(partition);
    if (blocks === undefined) return 0;
    let held = blocks.bytes;
    let index = blocks.head;
    // Walks only the blocks that fall outside: what a trim to this offset then drops.
    while (held > bytes && index < blocks.blocks.length) held -= blocks.blocks[index++]!.payload.byteLength;
    return blocks.start + index - blocks.head;
  }

  /**
   * Retained blocks with from <= offset < to. Payloads are fresh copies: a caller may transfer one to a
   * worker thread (detaching its buffer) without damaging the log.
   */
  read(range: BlockRange): Block[] {
    const blocks = this.streams.get(range.stream)?.get(range.partition);
    if (blocks === undefined) return [];
    const end = blocks.start + blocks.blocks.length - blocks.head;
    const from = Math.max(blocks.start, Math.ceil(range.from));
    const to = Math.min(end, Math.ceil(range.to));
    const out: Block[] = [];
    for (let offset = from; offset < to; offset++) {
      const block = blocks.blocks[blocks.head + offset - blocks.start]!;
      out.push({ offset: block.offset, count: block.count, appendedAt: block.appendedAt, payload: new Uint8Array(block.payload) });
    }
    return out;
  }

  /**
   * Forgets blocks with offset < beforeOffset, never past the end; returns the new start offset.
   * A partition never written stays absent.
   */
  trim(stream: string, partition: number, beforeOffset: number): number {
    const blocks = this.streams.get(stream)?.get(partition);
    if (blocks === undefined) return 0;
    const end = blocks.start + blocks.blocks.length - blocks.head;
    const before = Math.min(end, Math.ceil(beforeOffset));
    if (!(before > blocks.start)) return blocks.start;
    const oldHead = blocks.head;
    for (let i = oldHead; i < oldHead + before - blocks.start; i++) {
      blocks.events -= blocks.blocks[i]!.count;
      blocks.bytes -= blocks.blocks[i]!.payload.byteLength;
    }
    blocks.head += before - blocks.start;
    blocks.start = before;
    if (blocks.head >= COMPACT_AFTER && blocks.head * 2 >= blocks.blocks.length) {
      blocks.blocks = blocks.blocks.slice(blocks.head);
      blocks.head = 0;
    } else {
      // Release the payloads now rather than at the next compaction.
      blocks.blocks.fill(RELEASED, oldHead, blocks.head);
    }
    return before;
  }

  drop(stream: string): void {
    this.streams.delete(stream);
  }

  private partitionOf(stream: string, partition: number): PartitionBlocks {
    let partitions = this.streams.get(stream);
    if (partitions === undefined) {
      partitions = new Map();
      this.streams.set(stream, partitions);
    }
    let blocks = partitions.get(partition);
    if (blocks === undefined) {
      blocks = { blocks: [], head: 0, start: 0, events: 0, bytes: 0 };
      partitions.set(partition, blocks);
    }
    return blocks;
  }
}

/** Stands in for a trimmed block until its slot is compacted away, so its payload can be collected. */
const RELEASED: Block = { offset: -1, count: 0, appendedAt: 0, payload: new Uint8Array(0) };
