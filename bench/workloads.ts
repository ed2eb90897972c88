/**
 * The three workloads of the D-Streams paper as Tributary jobs, and what one answer of each looks
 * like: grep counts the records of a batch that contain the pattern; wordcount gives every word's
 * count over a sliding window; topk the ten most frequent words of that window (ties by word).
 */
import { GREP_PATTERN } from "./corpus.js";

export type WorkloadName = "grep" | "wordcount" | "topk";
export const WORKLOADS: readonly WorkloadName[] = ["grep", "wordcount", "topk"];

export const TOP_K = 10;

/**
 * One emitted result: a count (grep), every word's count (wordcount) — or its digest, so that a run
 * need not keep every window's counts — or the top words in order (topk).
 */
export type Answer = number | ReadonlyMap<string, number> | WordCountDigest | readonly (readonly [string, number])[];

/** Every word's count, reduced to its size and two order-independent 32-bit sums of (word, count) hashes. */
export interface WordCountDigest {
  readonly words: number;
  readonly digest: string;
}

function hashWordCount(word: string, count: number, seed: number): number {
  let h = seed;
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ count, 0x01000193);
  h ^= h >>> 15;
  return Math.imul(h, 0x2c1b3c6d) >>> 0;
}

export function digestOf(counts: ReadonlyMap<string, number>): WordCountDigest {
  let a = 0;
  let b = 0;
  for (const [word, count] of counts) {
    a = (a + hashWordCount(word, count, 0x811c9dc5)) >>> 0;
    b = (b + hashWordCount(word, count, 0x9747b28c)) >>> 0;
  }
  return { words: counts.size, digest: `${a.toString(16)}${b.toString(16).padStart(8, "0")}` };
}

/** The answer as a run keeps it: a wordcount window becomes its digest. */
export function compact(answer: Answer): Answer {
  return answer instanceof Map ? digestOf(answer) : answer;
}

export interface JobShape {
  /** Job id and name. */
  readonly id: string;
  readonly input: string;
  readonly batchIntervalMs: number;
  /** Window length in batches (wordcount, topk); the slide is always one batch. */
  readonly windowBatches: number;
  readonly startFrom?: "earliest" | "latest";
}

/** The job definition, as a client would POST it. */
export function jobDefinition(workload: WorkloadName, shape: JobShape): Record<string, unknown> {
  const base = { name: shape.id, input: shape.input, batchInterval: `${shape.batchIntervalMs}ms`, startFrom: shape.startFrom ?? "latest" };
  if (workload === "grep") {
    return { ...base, steps: [{ op: "filter", where: `text.contains('${GREP_PATTERN}')` }, { op: "aggregate", aggs: { matches: { fn: "count" } } }] };
  }
  const steps: Record<string, unknown>[] = [
    { op: "flatMap", expr: "text.split(' ')", as: "word" },
    { op: "filter", where: "size(word) > 0" },
    { op: "keyBy", key: "word" },
    { op: "window", length: `${shape.windowBatches * shape.batchIntervalMs}ms`, slide: `${shape.batchIntervalMs}ms` },
    { op: "aggregate", aggs: { count: { fn: "count" } } },
  ];
  if (workload === "topk") steps.push({ op: "topK", k: TOP_K, by: "count" });
  return { ...base, steps };
}

/** The answer carried by the rows of one engine result frame. */
export function answerOfRows(workload: WorkloadName, rows: readonly Record<string, unknown>[]): Answer {
  if (workload === "grep") return Number(rows[0]?.matches ?? Number.NaN);
  if (workload === "wordcount") return new Map(rows.map((r) => [String(r.key), Number(r.count)]));
  return rows.map((r) => [String(r.key), Number(r.count)] as const);
}

/** Where two answers differ, in words; undefined when they are equal. */
export function differenceOf(expected: Answer, actual: Answer): string | undefined {
  if (isDigest(expected) || isDigest(actual)) {
    const [e, a] = [compact(expected), compact(actual)];
    if (!isDigest(e) || !isDigest(a)) return "answers of different kinds";
    if (e.words !== a.words) return `expected ${e.words} distinct words, got ${a.words}`;
    return e.digest === a.digest ? undefined : `the same ${e.words} words, but some counts differ (digest ${e.digest}, got ${a.digest})`;
  }
  if (typeof expected === "number" || typeof actual === "number") {
    return expected === actual ? undefined : `expected ${String(expected)} matches, got ${String(actual)}`;
  }
  if (expected instanceof Map || actual instanceof Map) {
    if (!(expected instanceof Map) || !(actual instanceof Map)) return "answers of different kinds";
    if (expected.size !== actual.size) return `expected ${expected.size} distinct words, got ${actual.size}`;
    for (const [word, count] of expected) {
      if (actual.get(word) !== count) return `word "${word}": expected ${count}, got ${String(actual.get(word))}`;
    }
    return undefined;
  }
  const e = expected as readonly (readonly [string, number])[];
  const a = actual as readonly (readonly [string, number])[];
  const show = (list: readonly (readonly [string, number])[]) => list.map(([w, c]) => `${w}:${c}`).join(" ");
  if (e.length !== a.length || e.some(([w, c], i) => a[i]?.[0] !== w || a[i]?.[1] !== c)) return `expected top [${show(e)}], got [${show(a)}]`;
  return undefined;
}

function isDigest(answer: Answer): answer is WordCountDigest {
  return typeof answer === "object" && "digest" in answer;
}

/** Ties broken by key ascending, as the engine's topK does (src/engine/operators/top-k.ts). */
export function compareWordCounts(a: readonly [string, number], b: readonly [string, number]): number {
  return b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
}

/** The k most frequent words of `counts`, in order: one pass keeping a sorted list of at most k. */
export function topWords(counts: ReadonlyMap<string, number>, k = TOP_K): [string, number][] {
  const top: [string, number][] = [];
  for (const entry of counts) {
    if (top.length === k && compareWordCounts(entry, top[k - 1]!) >= 0) continue;
    let i = top.length < k ? top.length : k - 1;
    if (top.length < k) top.push(entry);
    else top[i] = entry;
    while (i > 0 && compareWordCounts(top[i]!, top[i - 1]!) < 0) {
      [top[i], top[i - 1]] = [top[i - 1]!, top[i]!];
      i--;
    }
  }
  return top;
}
