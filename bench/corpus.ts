/**
 * The benchmark's input: 100-byte text records `{text}` drawn from a seeded Zipf-skewed vocabulary,
 * generated per batch so that the engine, the baseline loop and the RxJS pipeline read exactly the
 * same records without the whole run ever being held in memory. Generation is never timed.
 */
import { encodeBlock } from "../src/engine/block-codec.js";

export type Row = Record<string, unknown>;

/** Bytes of every record's `text`. */
export const RECORD_BYTES = 100;
/** Events per ingest request and per block, as in the issue (NDJSON batches of 1,000). */
export const BLOCK_EVENTS = 1000;
/** The grep pattern; it is upper case and the vocabulary lower case, so it matches only where injected. */
export const GREP_PATTERN = "ERROR";
/** Share of records that carry the grep pattern. */
const GREP_SHARE = 0.1;

/** mulberry32, the same seeded PRNG as examples/lib/corpus.mjs. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `size` distinct lower-case pseudo-words of 2-10 letters. */
export function vocabulary(size: number, seed = 1): string[] {
  const next = random(seed);
  const words = new Set<string>();
  while (words.size < size) {
    const length = 2 + Math.floor(next() * 9);
    let word = "";
    for (let i = 0; i < length; i++) word += String.fromCharCode(97 + Math.floor(next() * 26));
    words.add(word);
  }
  return [...words];
}

/** The skew of examples/lib/corpus.mjs (rank ~ n·r³): a few words are very common, most are rare. */
function zipfWord(next: () => number, words: readonly string[]): string {
  const r = next();
  return words[Math.min(words.length - 1, Math.floor(words.length * r * r * r))]!;
}

/** One record: words separated by single spaces, padded with spaces to exactly RECORD_BYTES. */
function record(next: () => number, words: readonly string[]): Row {
  let text = next() < GREP_SHARE ? GREP_PATTERN : "";
  for (;;) {
    const word = zipfWord(next, words);
    if (text.length + (text.length > 0 ? 1 : 0) + word.length > RECORD_BYTES) break;
    text += (text.length > 0 ? " " : "") + word;
  }
  return { text: text.padEnd(RECORD_BYTES, " ") };
}

/** What every implementation gets for one batch: the events, and the same events as stored blocks. */
export interface BatchInput {
  readonly events: Row[];
  /** The events as 1,000-event JSON blocks, the form in which the store holds them. */
  blocks(): Uint8Array[];
}

/** A deterministic sequence of batches: batch `i` (1-based) is the same every time it is asked for. */
export interface BatchSource {
  readonly batches: number;
  readonly recordsPerBatch: number;
  batch(index: number): BatchInput;
}

export function textSource(options: { batches: number; recordsPerBatch: number; vocabulary: readonly string[]; seed?: number }): BatchSource {
  const { batches, recordsPerBatch, vocabulary: words } = options;
  const seed = options.seed ?? 7;
  return {
    batches,
    recordsPerBatch,
    batch(index) {
      const next = random(Math.imul(seed, 0x9e3779b1) ^ index);
      const events = Array.from({ length: recordsPerBatch }, () => record(next, words));
      return { events, blocks: () => toBlocks(events) };
    },
  };
}

/** Records whose every word is new: `keys` distinct words over `batches` batches, ten words a record. */
export function distinctKeySource(keys: number, batches: number): BatchSource {
  const perRecord = 10;
  const recordsPerBatch = Math.ceil(keys / batches / perRecord);
  return {
    batches,
    recordsPerBatch,
    batch(index) {
      const events: Row[] = [];
      let k = (index - 1) * recordsPerBatch * perRecord;
      for (let r = 0; r < recordsPerBatch; r++) {
        const words: string[] = [];
        for (let w = 0; w < perRecord && k < keys; w++) words.push(`k${(k++).toString(36).padStart(8, "0")}`);
        if (words.length > 0) events.push({ text: words.join(" ") });
      }
      return { events, blocks: () => toBlocks(events) };
    },
  };
}

export function toBlocks(events: readonly Row[]): Uint8Array[] {
  const blocks: Uint8Array[] = [];
  for (let i = 0; i < events.length; i += BLOCK_EVENTS) blocks.push(encodeBlock(events.slice(i, i + BLOCK_EVENTS)));
  return blocks;
}

/** Events as the NDJSON body of one ingest request. */
export function ndjson(events: readonly Row[]): Buffer {
  return Buffer.from(events.map((e) => JSON.stringify(e)).join("\n") + "\n");
}
