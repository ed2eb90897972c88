/**
 * The three implementations the benchmark compares must give the same answers on the same batches;
 * the baseline loop is also checked against answers worked out by hand.
 */
import { describe, expect, it } from "vitest";
import { runBaseline } from "../../bench/baseline.js";
import { textSource, toBlocks, vocabulary, type BatchSource, type Row } from "../../bench/corpus.js";
import { runEngine } from "../../bench/engine-driver.js";
import { mismatches, range } from "../../bench/run-result.js";
import { runRxjs } from "../../bench/rxjs-pipelines.js";
import { digestOf, WORKLOADS } from "../../bench/workloads.js";

function fixedSource(batches: string[][]): BatchSource {
  return {
    batches: batches.length,
    recordsPerBatch: batches[0]!.length,
    batch(index) {
      const events: Row[] = batches[index - 1]!.map((text) => ({ text }));
      return { events, blocks: () => toBlocks(events) };
    },
  };
}

describe("benchmark implementations", () => {
  const handMade = fixedSource([
    ["a b ERROR", "b  c"],
    ["c c", "a ERROR x"],
    ["b", "ERROR ERROR b"],
  ]);

  it("the baseline loop counts grep matches per batch and slides a 2-batch window", () => {
    expect([...runBaseline("grep", handMade, 1).answers]).toEqual([[1, 1], [2, 1], [3, 1]]);
    const windowed = runBaseline("wordcount", handMade, 2).answers;
    expect(windowed.get(2)).toEqual(digestOf(new Map([["a", 2], ["b", 2], ["ERROR", 2], ["c", 3], ["x", 1]])));
    // Batch 1 has left the window: "a" from batch 1 is gone, one "a" from batch 2 remains.
    expect(windowed.get(3)).toEqual(digestOf(new Map([["c", 2], ["a", 1], ["ERROR", 3], ["x", 1], ["b", 2]])));
    expect(runBaseline("topk", handMade, 2).answers.get(3)).toEqual([["ERROR", 3], ["b", 2], ["c", 2], ["a", 1], ["x", 1]]);
  });

  it("makes records of exactly 100 bytes, the same for the same batch", () => {
    const source = textSource({ batches: 2, recordsPerBatch: 50, vocabulary: vocabulary(500) });
    const events = source.batch(2).events;
    expect(events.every((e) => String(e.text).length === 100)).toBe(true);
    expect(source.batch(2).events).toEqual(events);
    expect(source.batch(1).events).not.toEqual(events);
  });

  it("the RxJS pipelines and the engine agree with the baseline loop on every workload", async () => {
    const source = textSource({ batches: 7, recordsPerBatch: 300, vocabulary: vocabulary(300) });
    for (const workload of WORKLOADS) {
      const windowBatches = workload === "grep" ? 1 : 3;
      const baseline = runBaseline(workload, source, windowBatches);
      const rxjs = runRxjs(workload, source, windowBatches);
      const engine = await runEngine(workload, source, { runner: "in-thread", partitions: 2, windowBatches });
      expect(mismatches(baseline, rxjs, range(windowBatches, source.batches)), `${workload} RxJS`).toEqual([]);
      expect(mismatches(baseline, engine, range(1, source.batches)), `${workload} engine`).toEqual([]);
      expect(rxjs.answers.size).toBe(source.batches - windowBatches + 1);
    }
  });

  it("a wrong answer is found", () => {
    const source = textSource({ batches: 3, recordsPerBatch: 100, vocabulary: vocabulary(100) });
    const baseline = runBaseline("grep", source, 1);
    const wrong = { answers: new Map(baseline.answers), batchMs: baseline.batchMs };
    wrong.answers.set(2, (baseline.answers.get(2) as number) + 1);
    expect(mismatches(baseline, wrong, range(1, 3))).toEqual([`batch 2: expected ${String(baseline.answers.get(2))} matches, got ${(baseline.answers.get(2) as number) + 1}`]);
  });
});
