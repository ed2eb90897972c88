/**
 * What every part of the store conformance suite shares: the handle on the store under test and small
 * builders for the values written to it.
 */
import type { TestContext } from "vitest";
import type { BatchDescriptor, JobRecord, ResultFrame, Store, StreamDefinition } from "../../../../src/store/types.js";

/** Result frames per job that a store under test must be opened with. */
export const CONFORMANCE_RESULT_HISTORY = 5;
/** Rows per job, over its result frames, that a store under test must be opened with. */
export const CONFORMANCE_RESULT_HISTORY_ROWS = 12;
/** Seqs back from the newest within which a store under test must keep frames without rows. */
export const CONFORMANCE_RESULT_RECENT_SEQS = 3;

/** The store under test as the contract files see it. */
export interface ConformanceSubject {
  /** The store currently open; a different object after {@link reopen}. */
  readonly store: Store;
  /** Closes the store and opens its data again; skips the test when the store cannot reopen. */
  reopen(test: TestContext): Promise<Store>;
  /** Opens another, empty store with these options; the suite closes and cleans it up after the test. */
  openAnother(options: ConformanceOptions): Promise<Store>;
}

/** Store options a contract test may ask for, beyond the suite's defaults. */
export interface ConformanceOptions {
  readonly idempotencyRetentionMs?: number;
  readonly resultHistoryAgeMs?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

export function text(payload: Uint8Array): string {
  return decoder.decode(payload);
}

/** A frame whose content follows from its seq, so tests can compare whole frames. */
export function frame(seq: number, rows: Record<string, unknown>[] = [{ seq }]): ResultFrame {
  return { seq, batchTime: 1_000 * seq, window: seq % 2 === 0 ? { start: 1_000 * seq - 500, end: 1_000 * seq } : null, rows };
}

export function descriptor(jobId: string, batchTime: number, to = batchTime / 1_000): BatchDescriptor {
  return { jobId, batchTime, ranges: [{ stream: "clicks", partition: 0, from: 0, to }] };
}

export function streamDefinition(name: string, partitions = 2): StreamDefinition {
  return { name, partitions, keyField: "user", eventTimeField: "ts", schema: { type: "object" }, createdAt: 1_700_000_000_000 };
}

export function jobRecord(id: string, status: JobRecord["status"] = "running"): JobRecord {
  return {
    id,
    definition: { name: id, input: "clicks", steps: [{ op: "filter", where: "x > 1" }] },
    status,
    createdAt: 1_700_000_000_000,
    startOffsets: { 0: 3, 1: 0 },
  };
}

export const byName = (a: StreamDefinition, b: StreamDefinition): number => a.name.localeCompare(b.name);
export const byId = (a: JobRecord, b: JobRecord): number => a.id.localeCompare(b.id);

/** Appends one single-event block per text, one at a time; returns the offsets. */
export async function appendTexts(store: Store, stream: string, partition: number, texts: readonly string[]): Promise<number[]> {
  const offsets: number[] = [];
  for (const each of texts) offsets.push((await store.streams.append(stream, partition, { count: 1, payload: bytes(each) })).offset);
  return offsets;
}

/** The payloads of blocks [from, to) as text. */
export async function readTexts(store: Store, stream: string, partition: number, from: number, to: number): Promise<string[]> {
  return (await store.streams.read({ stream, partition, from, to })).map((block) => text(block.payload));
}

/** Appends frame(from) .. frame(to), one at a time. */
export async function appendFrames(store: Store, jobId: string, from: number, to: number): Promise<void> {
  for (let seq = from; seq <= to; seq++) await store.results.append(jobId, frame(seq));
}

/** A checkpoint snapshot as text, or undefined when there is none. */
export async function loadStateText(store: Store, jobId: string, batchTime: number, partition: number): Promise<string | undefined> {
  const state = await store.checkpoints.load(jobId, batchTime, partition);
  return state === undefined ? undefined : text(state);
}

/** Appends one single-event block carrying a request id; returns what the store answered. */
export async function appendWithId(
  store: Store,
  stream: string,
  partition: number,
  payload: string,
  requestId: string,
): Promise<{ offset: number; duplicate: boolean }> {
  const { offset, duplicate } = await store.streams.append(stream, partition, { count: 1, payload: bytes(payload), requestId });
  return { offset, duplicate };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
