/**
 * The same queries as a Node user would write them with RxJS: windowTime (sliding or tumbling), a
 * Map per window, a sort for the top k. They run on RxJS's VirtualTimeScheduler, so each batch's
 * records arrive inside the right windows however fast the machine is, and the run is as fast as
 * RxJS can go. Batch b's records are emitted half a batch interval before its boundary b·interval,
 * so the window that closes at b·interval holds exactly the batches the engine's window holds.
 * Generating a batch's input (and collecting its garbage) is subtracted from that batch's time.
 */
import { Observable, VirtualAction, VirtualTimeScheduler, count, filter, map, mergeMap, reduce, windowTime, type OperatorFunction } from "rxjs";
import { GREP_PATTERN, type BatchSource } from "./corpus.js";
import { collectGarbageAfter } from "./gc.js";
import type { RunResult } from "./run-result.js";
import { compact, compareWordCounts, TOP_K, type Answer, type WorkloadName } from "./workloads.js";

interface TextRecord {
  text: string;
}

const countWords = (counts: Map<string, number>, record: TextRecord): Map<string, number> => {
  for (const word of record.text.split(" ")) if (word.length > 0) counts.set(word, (counts.get(word) ?? 0) + 1);
  return counts;
};

function pipeline(workload: WorkloadName, windowBatches: number, intervalMs: number, scheduler: VirtualTimeScheduler): OperatorFunction<TextRecord, Answer> {
  if (workload === "grep") {
    return (records) =>
      records.pipe(
        filter((r) => r.text.includes(GREP_PATTERN)),
        windowTime(intervalMs, scheduler),
        mergeMap((w) => w.pipe(count())),
      );
  }
  const windowCounts: OperatorFunction<TextRecord, Map<string, number>> = (records) =>
    records.pipe(
      windowTime(windowBatches * intervalMs, intervalMs, scheduler),
      mergeMap((w) => w.pipe(reduce(countWords, new Map<string, number>()))),
    );
  if (workload === "wordcount") return windowCounts;
  return (records) => records.pipe(windowCounts, map((counts) => [...counts].sort(compareWordCounts).slice(0, TOP_K)));
}

export function runRxjs(workload: WorkloadName, source: BatchSource, windowBatches: number, intervalMs = 1000): RunResult {
  const scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);
  const decoder = new TextDecoder();
  const answers = new Map<number, Answer>();
  // Wall time at the start of each batch's emission, and the part of it spent generating input.
  const startedAt: number[] = [];
  const generatingMs: number[] = [];
  const last = source.batches;
  // Answers are digested at the start of the next batch, outside its timed part.
  const pending: [number, Answer][] = [];
  const keepPending = () => {
    for (const [b, answer] of pending.splice(0)) answers.set(b, compact(answer));
  };
  const records = new Observable<TextRecord>((subscriber) => {
    for (let b = 1; b <= last; b++) {
      scheduler.schedule(() => {
        const started = performance.now();
        keepPending();
        const blocks = source.batch(b).blocks();
        collectGarbageAfter(source.recordsPerBatch);
        startedAt[b] = started;
        generatingMs[b] = performance.now() - started;
        for (const block of blocks) for (const record of JSON.parse(decoder.decode(block)) as TextRecord[]) subscriber.next(record);
      }, b * intervalMs - intervalMs / 2);
    }
    scheduler.schedule(() => {
      startedAt[last + 1] = performance.now();
      keepPending();
      subscriber.complete();
    }, last * intervalMs + intervalMs / 4);
  });
  const subscription = records.pipe(pipeline(workload, windowBatches, intervalMs, scheduler)).subscribe((answer) => {
    // Windows closed early by the end of input (not on a batch boundary) are not answers.
    const now = scheduler.now();
    if (now % intervalMs === 0) pending.push([now / intervalMs, answer]);
  });
  scheduler.flush();
  subscription.unsubscribe();
  const batchMs: number[] = [];
  for (let b = 1; b <= last; b++) batchMs[b] = startedAt[b + 1]! - startedAt[b]! - generatingMs[b]!;
  return { answers, batchMs };
}
