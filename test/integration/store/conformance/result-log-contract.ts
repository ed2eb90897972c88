/** ResultLog: seq rules, paging, trimming to the configured history (frames and rows), drop. */
import { describe, expect, it } from "vitest";
import { CONFORMANCE_RESULT_HISTORY, CONFORMANCE_RESULT_HISTORY_ROWS, frame, appendFrames, type ConformanceSubject } from "./fixtures.js";

export function describeResultLogContract(subject: ConformanceSubject): void {
  describe("result log", () => {
    it("has bounds 0, 0 and no frames for a job never written", async () => {
      expect(await subject.store.results.bounds("job-a")).toEqual({ first: 0, last: 0 });
      expect(await subject.store.results.read("job-a", 0, 10)).toEqual([]);
    });

    it("reads frames with seq >= fromSeq, oldest first, at most limit", async () => {
      await appendFrames(subject.store, "job-a", 1, 4);
      const seqs = async (from: number, limit: number): Promise<number[]> =>
        (await subject.store.results.read("job-a", from, limit)).map((each) => each.seq);
      expect(await seqs(1, 10)).toEqual([1, 2, 3, 4]);
      expect(await seqs(0, 10)).toEqual([1, 2, 3, 4]);
      expect(await seqs(2, 2)).toEqual([2, 3]);
      expect(await seqs(4, 10)).toEqual([4]);
      expect(await seqs(5, 10)).toEqual([]);
      expect(await seqs(1, 0)).toEqual([]);
      expect(await subject.store.results.bounds("job-a")).toEqual({ first: 1, last: 4 });
    });

    it("returns frames as appended", async () => {
      const frames = [
        frame(1, [{ word: "a", count: 3, nested: { ok: true, list: [1, "two", null] } }]),
        frame(2, [{ word: "é✓", count: 1.5 }, { word: "b", count: -2 }]),
        frame(3, []),
      ];
      for (const each of frames) await subject.store.results.append("job-a", each);
      expect(await subject.store.results.read("job-a", 1, 10)).toEqual(frames);
    });

    it("rejects a first frame whose seq is not 1", async () => {
      await expect(subject.store.results.append("job-a", frame(2))).rejects.toThrow(Error);
      await expect(subject.store.results.append("job-a", frame(0))).rejects.toThrow(Error);
      expect(await subject.store.results.bounds("job-a")).toEqual({ first: 0, last: 0 });
      await subject.store.results.append("job-a", frame(1));
      expect(await subject.store.results.bounds("job-a")).toEqual({ first: 1, last: 1 });
    });

    it("rejects a gap or a repeated seq and keeps what it had", async () => {
      await appendFrames(subject.store, "job-a", 1, 2);
      await expect(subject.store.results.append("job-a", frame(4))).rejects.toThrow(Error);
      await expect(subject.store.results.append("job-a", frame(2))).rejects.toThrow(Error);
      await expect(subject.store.results.append("job-a", frame(1))).rejects.toThrow(Error);
      expect(await subject.store.results.bounds("job-a")).toEqual({ first: 1, last: 2 });
      await subject.store.results.append("job-a", frame(3));
      expect((await subject.store.results.read("job-a", 0, 10)).map((each) => each.seq)).toEqual([1, 2, 3]);
    });

    it("accepts appends 1, 2, 3, ... issued without waiting for each other", async () => {
      await Promise.all([1, 2, 3, 4].map((seq) => subject.store.results.append("job-a", frame(seq))));
      expect(await subject.store.results.bounds("job-a")).toEqual({ first: 1, last: 4 });
    });

    it("keeps only the newest frames of the configured history; bounds start at the oldest kept", async () => {
      const history = CONFORMANCE_RESULT_HISTORY;
      await appendFrames(subject.store, "job-a", 1, 3 * history + 2);
      const last = 3 * history + 2;
      const first = last - history + 1;
      expect(await subject.store.results.bounds("job-a")).toEqual({ first, last });
      expect((await subject.store.results.read("job-a", 1, 100)).map((each) => each.seq)).toEqual(
        Array.from({ length: history }, (_, i) => first + i),
      );
      expect((await subject.store.results.read("job-a", first + 1, 2)).map((each) => each.seq)).toEqual([first + 1, first + 2]);
      await subject.store.results.append("job-a", frame(last + 1));
      expect(await subject.store.results.bounds("job-a")).toEqual({ first: first + 1, last: last + 1 });
    });

    it("keeps no more rows than the configured row history, but always the newest frame", async () => {
      const rowsOf = (seq: number, n: number) => Array.from({ length: n }, (_, i) => ({ seq, i }));
      const maxRows = CONFORMANCE_RESULT_HISTORY_ROWS;
      // Frames of 4 rows: only as many as fit in the row history are kept (fewer than the frame history).
      for (let seq = 1; seq <= 5; seq++) await subject.store.results.append("job-a", frame(seq, rowsOf(seq, 4)));
      const fit = Math.floor(maxRows / 4);
      expect(fit).toBeLessThan(CONFORMANCE_RESULT_HISTORY);
      expect(await subject.store.results.bounds("job-a")).toEqual({ first: 5 - fit + 1, last: 5 });
      // A frame wider than the whole row history is kept alone.
      await subject.store.results.append("job-a", frame(6, rowsOf(6, maxRows + 8)));
      expect(await subject.store.results.bounds("job-a")).toEqual({ first: 6, last: 6 });
      expect((await subject.store.results.read("job-a", 1, 10))[0]!.rows).toHaveLength(maxRows + 8);
      // The next frame pushes it out; small frames then fill the row history again.
      await subject.store.results.append("job-a", frame(7, rowsOf(7, 1)));
      expect(await subject.store.results.bounds("job-a")).toEqual({ first: 7, last: 7 });
      for (let seq = 8; seq <= 10; seq++) await subject.store.results.append("job-a", frame(seq, rowsOf(seq, 4)));
      expect(await subject.store.results.bounds("job-a")).toEqual({ first: 8, last: 10 });
      // Dropping the job forgets its row counts too.
      await subject.store.results.drop("job-a");
      for (let seq = 1; seq <= 3; seq++) await subject.store.results.append("job-a", frame(seq, rowsOf(seq, 4)));
      expect(await subject.store.results.bounds("job-a")).toEqual({ first: 1, last: 3 });
    });

    it("keeps jobs apart; a dropped job starts again at seq 1", async () => {
      await appendFrames(subject.store, "job-a", 1, 3);
      await appendFrames(subject.store, "job-b", 1, 1);
      await subject.store.results.drop("job-a");
      expect(await subject.store.results.bounds("job-a")).toEqual({ first: 0, last: 0 });
      expect(await subject.store.results.read("job-a", 0, 10)).toEqual([]);
      expect(await subject.store.results.bounds("job-b")).toEqual({ first: 1, last: 1 });
      await expect(subject.store.results.append("job-a", frame(4))).rejects.toThrow(Error);
      await subject.store.results.append("job-a", frame(1));
      expect(await subject.store.results.bounds("job-a")).toEqual({ first: 1, last: 1 });
    });
  });
}
