/**
 * The practical limit: a hand-written, single-threaded loop over the same stored blocks that computes
 * exactly the engine's answers. It parses each block once, counts in plain Maps, slides the window
 * incrementally (add the new batch, subtract the one leaving) and keeps the top k in one pass. Each
 * answer is a copy of the window (what a subscriber would be handed); digesting it is not timed.
 */
import { GREP_PATTERN, type BatchSource } from "./corpus.js";
import { collectGarbageAfter } from "./gc.js";
import type { RunResult } from "./run-result.js";
import { compact, topWords, type Answer, type WorkloadName } from "./workloads.js";

interface TextRecord {
  text: string;
}

export function runBaseline(workload: WorkloadName, source: BatchSource, windowBatches: number): RunResult {
  const decoder = new TextDecoder();
  const answers = new Map<number, Answer>();
  const batchMs: number[] = [];
  const window = new Map<string, number>();
  const partials: Map<string, number>[] = [];
  for (let b = 1; b <= source.batches; b++) {
    const blocks = source.batch(b).blocks();
    collectGarbageAfter(source.recordsPerBatch);
    const started = performance.now();
    let answer: Answer;
    if (workload === "grep") {
      let matches = 0;
      for (const block of blocks) for (const record of JSON.parse(decoder.decode(block)) as TextRecord[]) if (record.text.includes(GREP_PATTERN)) matches++;
      answer = matches;
    } else {
      const counts = new Map<string, number>();
      for (const block of blocks) {
        for (const record of JSON.parse(decoder.decode(block)) as TextRecord[]) {
          for (const word of record.text.split(" ")) if (word.length > 0) counts.set(word, (counts.get(word) ?? 0) + 1);
        }
      }
      partials.push(counts);
      for (const [word, count] of counts) window.set(word, (window.get(word) ?? 0) + count);
      if (partials.length > windowBatches) {
        for (const [word, count] of partials.shift()!) {
          const left = window.get(word)! - count;
          if (left === 0) window.delete(word);
          else window.set(word, left);
        }
      }
      answer = workload === "wordcount" ? new Map(window) : topWords(window);
    }
    batchMs[b] = performance.now() - started;
    answers.set(b, compact(answer));
  }
  return { answers, batchMs };
}
