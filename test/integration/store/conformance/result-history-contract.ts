/**
 * ResultLog history: frames without rows are kept only among the newest CONFORMANCE_RESULT_RECENT_SEQS
 * seqs and take no room in the history, so a job that emits rarely keeps its frames with rows; reads
 * skip the seqs not kept; bounds say where the history begins; an age bound (in batch time) trims too;
 * all of it survives a reopen.
 */
import { describe, expect, it } from "vitest";
import type { Store } from "../../../../src/store/types.js";
import { CONFORMANCE_RESULT_HISTORY, CONFORMANCE_RESULT_RECENT_SEQS, frame, type ConformanceSubject } from "./fixtures.js";

const JOB = "job-a";

/** Appends frame(from) .. frame(to) with no rows. */
async function appendEmpty(store: Store, from: number, to: number): Promise<void> {
  for (let seq = from; seq <= to; seq++) await store.results.append(JOB, frame(seq, []));
}

async function retainedSeqs(store: Store, from = 0, limit = 1000): Promise<number[]> {
  return (await store.results.read(JOB, from, limit)).map((each) => each.seq);
}

export function describeResultHistoryContract(subject: ConformanceSubject): void {
  describe("result history", () => {
    it("keeps a rarely emitting job's frames with rows after many more frames without rows than the history holds", async () => {
      expect(CONFORMANCE_RESULT_RECENT_SEQS).toBe(3);
      const history = CONFORMANCE_RESULT_HISTORY;
      const { store } = subject;
      await store.results.append(JOB, frame(1));
      await appendEmpty(store, 2, 10 * history);
      await store.results.append(JOB, frame(10 * history + 1));
      await appendEmpty(store, 10 * history + 2, 20 * history);
      // 1 and 51 have rows; of the frames without rows only the newest 3 seqs' are kept.
      const last = 20 * history;
      expect(await retainedSeqs(store)).toEqual([1, 10 * history + 1, last - 2, last - 1, last]);
      expect(await store.results.bounds(JOB)).toEqual({ first: 1, last });
      expect((await store.results.read(JOB, last, 1))[0]).toEqual(frame(last, []));
      // Seqs still have to follow on.
      await expect(store.results.append(JOB, frame(last + 2))).rejects.toThrow(Error);
      await store.results.append(JOB, frame(last + 1));
      expect(await retainedSeqs(store)).toEqual([1, 10 * history + 1, last - 1, last, last + 1]);
    });

    it("reads past the seqs not kept: from inside a hole gives the next kept frame, with none repeated", async () => {
      const { store } = subject;
      await store.results.append(JOB, frame(1));
      await appendEmpty(store, 2, 10);
      await store.results.append(JOB, frame(11));
      await store.results.append(JOB, frame(12));
      await appendEmpty(store, 13, 20);
      expect(await retainedSeqs(store)).toEqual([1, 11, 12, 18, 19, 20]);
      expect(await retainedSeqs(store, 2)).toEqual([11, 12, 18, 19, 20]);
      expect(await retainedSeqs(store, 11, 1)).toEqual([11]);
      expect(await retainedSeqs(store, 13, 2)).toEqual([18, 19]);
      expect(await retainedSeqs(store, 21)).toEqual([]);
      // Paging as a reader resuming after each page does: every kept frame once, in order.
      const paged: number[] = [];
      for (let from = 1, page = await retainedSeqs(store, from, 2); page.length > 0; from = page.at(-1)! + 1, page = await retainedSeqs(store, from, 2)) paged.push(...page);
      expect(paged).toEqual([1, 11, 12, 18, 19, 20]);
    });

    it("reads the newest frames kept, oldest first", async () => {
      const { store } = subject;
      await store.results.append(JOB, frame(1));
      await appendEmpty(store, 2, 7);
      await store.results.append(JOB, frame(8));
      await store.results.append(JOB, frame(9));
      expect((await store.results.readNewest(JOB, 2)).map((each) => each.seq)).toEqual([8, 9]);
      expect(await store.results.readNewest(JOB, 10)).toEqual([frame(1), frame(7, []), frame(8), frame(9)]);
      expect(await store.results.readNewest(JOB, 0)).toEqual([]);
      expect(await store.results.readNewest("job-never-written", 3)).toEqual([]);
    });

    it("begins the history where the job's seqs began, and after the frame with rows trimmed last", async () => {
      const history = CONFORMANCE_RESULT_HISTORY;
      const { store } = subject;
      await appendEmpty(store, 1, 3);
      expect(await store.results.bounds(JOB)).toEqual({ first: 1, last: 3 });
      await store.results.append(JOB, frame(4));
      expect(await retainedSeqs(store)).toEqual([2, 3, 4]);
      // Nothing with rows was lost: a reader from 1 misses nothing.
      expect(await store.results.bounds(JOB)).toEqual({ first: 1, last: 4 });
      // history + 1 frames with rows (4, 6, ..., 14), each after one without: the oldest (4) is trimmed.
      for (let seq = 5; seq < 5 + 2 * history; seq += 2) {
        await appendEmpty(store, seq, seq);
        await store.results.append(JOB, frame(seq + 1));
      }
      expect(await store.results.bounds(JOB)).toEqual({ first: 5, last: 4 + 2 * history });
      expect(await retainedSeqs(store)).toEqual([6, 8, 10, 12, 13, 14]);
    });

    it("trims frames with rows older than the age bound, in batch time before the newest frame, also while only frames without rows come", async () => {
      const store = await subject.openAnother({ resultHistoryAgeMs: 2_500 });
      // frame(seq) has batch time seq * 1000: of 1..4, those at 1500 and later are within 2.5 s of 4000.
      for (let seq = 1; seq <= 4; seq++) await store.results.append(JOB, frame(seq));
      expect(await retainedSeqs(store)).toEqual([2, 3, 4]);
      expect(await store.results.bounds(JOB)).toEqual({ first: 2, last: 4 });
      await appendEmpty(store, 5, 6);
      expect(await retainedSeqs(store)).toEqual([4, 5, 6]);
      expect(await store.results.bounds(JOB)).toEqual({ first: 4, last: 6 });
      await appendEmpty(store, 7, 9);
      expect(await retainedSeqs(store)).toEqual([7, 8, 9]);
      expect(await store.results.bounds(JOB)).toEqual({ first: 5, last: 9 });
    });

    it("keeps the holes, where the history begins and the newest seq across a reopen", async (ctx) => {
      const history = CONFORMANCE_RESULT_HISTORY;
      await appendEmpty(subject.store, 1, 2);
      await subject.store.results.append(JOB, frame(3));
      // Enough frames without rows that a store that compacts its files has done so.
      const rowsAt = 40 * history + 1;
      await appendEmpty(subject.store, 4, rowsAt - 1);
      await subject.store.results.append(JOB, frame(rowsAt));
      await appendEmpty(subject.store, rowsAt + 1, rowsAt + 3);
      const before = { bounds: await subject.store.results.bounds(JOB), frames: await subject.store.results.read(JOB, 0, 100) };
      expect(before.bounds).toEqual({ first: 1, last: rowsAt + 3 });
      expect(before.frames.map((each) => each.seq)).toEqual([3, rowsAt, rowsAt + 1, rowsAt + 2, rowsAt + 3]);

      const again = await subject.reopen(ctx);

      expect(await again.results.bounds(JOB)).toEqual(before.bounds);
      expect(await again.results.read(JOB, 0, 100)).toEqual(before.frames);
      await again.results.append(JOB, frame(rowsAt + 4));
      expect(await retainedSeqs(again)).toEqual([3, rowsAt, rowsAt + 2, rowsAt + 3, rowsAt + 4]);
    });
  });
}
