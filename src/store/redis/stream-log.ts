/**
 * The Redis stream log. Each partition's blocks are one Redis stream whose entry ids are the block
 * offsets ("<offset>-1"), so offsets stay dense (0, 1, 2, ...), a range read is one XRANGE by id, and
 * a trim is one XTRIM MINID. Appends go through append-block.lua, which also checks and records the
 * request id in the same step.
 */
import { assertRequestId, assertTrimPoint } from "../contract.js";
import { StoreUnavailableError, type AppendResult, type Block, type BlockAppend, type BlockRange, type PartitionExtent, type StreamLog } from "../types.js";
import type { RedisContext } from "./redis-context.js";
import { appendBlock } from "./scripts/append-block.js";
import { dropStream } from "./scripts/drop-stream.js";
import { partitionExtent } from "./scripts/partition-extent.js";
import { trimBlocks } from "./scripts/trim-blocks.js";

/** Tries of a drop that keeps meeting new partitions before it gives up. */
const DROP_ATTEMPTS = 5;

export class RedisStreamLog implements StreamLog {
  constructor(
    private readonly context: RedisContext,
    private readonly idempotencyRetentionMs: number,
  ) {}

  async append(stream: string, partition: number, block: BlockAppend): Promise<AppendResult> {
    const { keys, scripts } = this.context;
    const { requestId } = block;
    if (requestId !== undefined) assertRequestId(requestId);
    assertCount(block.count);
    const scriptKeys = [keys.streamOffsets(stream), keys.streamBlocks(stream, partition), keys.streamGeneration(stream)];
    const args = [String(partition), String(block.count), String(Date.now()), Buffer.from(block.payload.buffer, block.payload.byteOffset, block.payload.byteLength)];
    if (requestId !== undefined) {
      scriptKeys.push(keys.streamRequest(stream, partition, requestId));
      args.push(String(this.idempotencyRetentionMs));
    }
    return this.context.acknowledgedWrite(`append to ${stream}/${partition}`, async () => {
      const reply = (await scripts.run(appendBlock, scriptKeys, args)) as [number, number];
      return { offset: Number(reply[0]), duplicate: Number(reply[1]) === 1 };
    });
  }

  async endOffset(stream: string, partition: number): Promise<number> {
    return this.offsetField(stream, partition, "end");
  }

  async startOffset(stream: string, partition: number): Promise<number> {
    return this.offsetField(stream, partition, "start");
  }

  async read(range: BlockRange): Promise<Block[]> {
    const key = this.context.keys.streamBlocks(range.stream, range.partition);
    const from = Math.max(0, Math.ceil(range.from));
    const last = Math.min(Math.ceil(range.to), Number.MAX_SAFE_INTEGER) - 1;
    return this.context.call(`read ${range.stream}/${range.partition}`, async (redis) => {
      if (!(last >= from)) return [];
      const entries = await redis.xrangeBuffer(key, String(from), String(last));
      return entries.map(([id, fields]) => decodeBlock(id, fields));
    });
  }

  async extent(stream: string, partition: number, from = 0): Promise<PartitionExtent> {
    const reply = (await this.extentScript(stream, partition, "extent", Math.max(0, Math.min(Math.ceil(from), Number.MAX_SAFE_INTEGER)))) as number[];
    const [start, end, events, bytes, oldest] = reply.map(Number) as [number, number, number, number, number];
    return { start, end, events, bytes, oldestAppendedAt: oldest < 0 ? null : oldest };
  }

  async offsetAt(stream: string, partition: number, time: number): Promise<number> {
    return Number(await this.extentScript(stream, partition, "time", Math.ceil(time)));
  }

  async offsetKeepingBytes(stream: string, partition: number, bytes: number): Promise<number> {
    return Number(await this.extentScript(stream, partition, "bytes", Math.max(0, Math.floor(bytes))));
  }

  private extentScript(stream: string, partition: number, what: "extent" | "time" | "bytes", limit: number): Promise<unknown> {
    const { keys, scripts } = this.context;
    const scriptKeys = [keys.streamOffsets(stream), keys.streamBlocks(stream, partition)];
    return this.context.call(`read the extent of ${stream}/${partition}`, () => scripts.run(partitionExtent, scriptKeys, [String(partition), what, String(limit)]));
  }

  async trim(stream: string, partition: number, beforeOffset: number): Promise<void> {
    assertTrimPoint(beforeOffset);
    const { keys, scripts } = this.context;
    const scriptKeys = [keys.streamOffsets(stream), keys.streamBlocks(stream, partition)];
    const before = Math.min(Math.ceil(beforeOffset), Number.MAX_SAFE_INTEGER);
    return this.context.call(`trim ${stream}/${partition}`, async () => {
      if (before <= 0) return;
      await scripts.run(trimBlocks, scriptKeys, [String(partition), String(before)]);
    });
  }

  async drop(stream: string): Promise<void> {
    const { keys, scripts } = this.context;
    const offsets = keys.streamOffsets(stream);
    const generation = keys.streamGeneration(stream);
    return this.context.call(`drop ${stream}`, async (redis) => {
      for (let attempt = 0; attempt < DROP_ATTEMPTS; attempt++) {
        const partitions = [...new Set((await redis.hkeys(offsets)).map((field) => field.split(":", 1)[0]!))];
        const blocks = partitions.map((partition) => keys.streamBlocks(stream, Number(partition)));
        const dropped = Number(await scripts.run(dropStream, [offsets, generation, ...blocks], partitions));
        if (dropped >= 0) return;
      }
      throw new StoreUnavailableError(`cannot drop ${stream}: new partitions kept appearing while it was being dropped`);
    });
  }

  private async offsetField(stream: string, partition: number, end: "start" | "end"): Promise<number> {
    const key = this.context.keys.streamOffsets(stream);
    const field = this.context.keys.offsetField(partition, end);
    return this.context.call(`read the ${end} offset of ${stream}/${partition}`, async (redis) => Number((await redis.hget(key, field)) ?? 0));
  }
}

/** A block from its stream entry: id "<offset>-1", fields c, t, p. The payload is the caller's own copy. */
function decodeBlock(id: Buffer, fields: Buffer[]): Block {
  let count = 0;
  let appendedAt = 0;
  let payload: Uint8Array = new Uint8Array(0);
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!.toString("latin1");
    const value = fields[i + 1]!;
    if (name === "c") count = Number(value.toString("latin1"));
    else if (name === "t") appendedAt = Number(value.toString("latin1"));
    // A copy: the reply buffer may share memory with others, and a caller may transfer this one.
    else if (name === "p") payload = new Uint8Array(value);
  }
  const text = id.toString("latin1");
  return { offset: Number(text.slice(0, text.indexOf("-"))), count, appendedAt, payload };
}

function assertCount(count: number): void {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`block count must be a non-negative integer, got ${count}`);
}
