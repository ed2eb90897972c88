/**
 * The map partitions of a job: every partition of every input stream, input by input. A batch
 * descriptor holds one block range per slot, in this order, so the cursor of a job is a list of
 * offsets, one per slot.
 */
export interface InputSlot {
  /** Index into the job's inputs (0: its own input). */
  readonly input: number;
  readonly stream: string;
  readonly partition: number;
}

export function inputSlots(streams: readonly { readonly name: string; readonly partitions: number }[]): InputSlot[] {
  return streams.flatMap((stream, input) => Array.from({ length: stream.partitions }, (_, partition) => ({ input, stream: stream.name, partition })));
}

/**
 * Per stream, the first offset of each partition that the slots still need (a stream a job reads
 * twice needs the lower of the two).
 */
export function offsetsByStream(slots: readonly InputSlot[], offsets: readonly number[]): Map<string, number[]> {
  const byStream = new Map<string, number[]>();
  slots.forEach((slot, i) => {
    const needs = byStream.get(slot.stream) ?? [];
    needs[slot.partition] = Math.min(needs[slot.partition] ?? Infinity, offsets[i] ?? 0);
    byStream.set(slot.stream, needs);
  });
  return byStream;
}
