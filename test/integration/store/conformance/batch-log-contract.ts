/** BatchLog: descriptors listed by batch time, replaced when re-recorded, trimmed and dropped per job. */
import { describe, expect, it } from "vitest";
import { descriptor, type ConformanceSubject } from "./fixtures.js";

export function describeBatchLogContract(subject: ConformanceSubject): void {
  describe("batch log", () => {
    it("has nothing for a job never recorded", async () => {
      expect(await subject.store.batches.list("job-a", 0, 10)).toEqual([]);
      expect(await subject.store.batches.last("job-a")).toBeUndefined();
    });

    it("lists descriptors after a batch time, oldest first, at most limit", async () => {
      for (const batchTime of [1_000, 2_000, 3_000, 4_000]) await subject.store.batches.record(descriptor("job-a", batchTime));
      const times = async (after: number, limit: number): Promise<number[]> =>
        (await subject.store.batches.list("job-a", after, limit)).map((each) => each.batchTime);
      expect(await times(0, 10)).toEqual([1_000, 2_000, 3_000, 4_000]);
      expect(await times(1_000, 10)).toEqual([2_000, 3_000, 4_000]);
      expect(await times(1_500, 2)).toEqual([2_000, 3_000]);
      expect(await times(4_000, 10)).toEqual([]);
      expect(await times(0, 0)).toEqual([]);
      expect(await subject.store.batches.list("job-a", 2_000, 1)).toEqual([descriptor("job-a", 3_000)]);
      expect(await subject.store.batches.last("job-a")).toEqual(descriptor("job-a", 4_000));
    });

    it("orders by batch time even when recorded out of order", async () => {
      for (const batchTime of [2_000, 1_000, 3_000]) await subject.store.batches.record(descriptor("job-a", batchTime));
      expect((await subject.store.batches.list("job-a", 0, 10)).map((each) => each.batchTime)).toEqual([1_000, 2_000, 3_000]);
      expect((await subject.store.batches.last("job-a"))?.batchTime).toBe(3_000);
    });

    it("replaces a descriptor recorded again for the same batch time", async () => {
      await subject.store.batches.record(descriptor("job-a", 1_000, 5));
      await subject.store.batches.record(descriptor("job-a", 2_000, 7));
      await subject.store.batches.record(descriptor("job-a", 1_000, 6));
      expect(await subject.store.batches.list("job-a", 0, 10)).toEqual([descriptor("job-a", 1_000, 6), descriptor("job-a", 2_000, 7)]);
    });

    it("keeps jobs apart and drops one job only", async () => {
      await subject.store.batches.record(descriptor("job-a", 1_000));
      await subject.store.batches.record(descriptor("job-b", 2_000));
      expect(await subject.store.batches.list("job-a", 0, 10)).toEqual([descriptor("job-a", 1_000)]);
      await subject.store.batches.drop("job-a");
      expect(await subject.store.batches.list("job-a", 0, 10)).toEqual([]);
      expect(await subject.store.batches.last("job-a")).toBeUndefined();
      expect(await subject.store.batches.last("job-b")).toEqual(descriptor("job-b", 2_000));
      await subject.store.batches.record(descriptor("job-a", 500));
      expect(await subject.store.batches.list("job-a", 0, 10)).toEqual([descriptor("job-a", 500)]);
    });

    it("trims descriptors older than a batch time", async () => {
      for (const batchTime of [1_000, 2_000, 3_000, 4_000, 5_000]) await subject.store.batches.record(descriptor("job-a", batchTime));
      await subject.store.batches.record(descriptor("job-b", 1_000));
      await subject.store.batches.trim("job-a", 3_000);
      const times = async (jobId: string): Promise<number[]> =>
        (await subject.store.batches.list(jobId, 0, 10)).map((each) => each.batchTime);
      expect(await times("job-a")).toEqual([3_000, 4_000, 5_000]);
      expect(await times("job-b")).toEqual([1_000]);
      await subject.store.batches.trim("job-a", 2_500);
      expect(await times("job-a")).toEqual([3_000, 4_000, 5_000]);
      await subject.store.batches.trim("job-a", 10_000);
      expect(await times("job-a")).toEqual([]);
      expect(await subject.store.batches.last("job-a")).toBeUndefined();
      await subject.store.batches.record(descriptor("job-a", 6_000));
      expect(await times("job-a")).toEqual([6_000]);
      await expect(subject.store.batches.trim("never-recorded", 1_000)).resolves.toBeUndefined();
      expect(await times("never-recorded")).toEqual([]);
    });

    it("keeps a trim across a reopen", async (ctx) => {
      for (const batchTime of [1_000, 2_000, 3_000]) await subject.store.batches.record(descriptor("job-a", batchTime));
      await subject.store.batches.trim("job-a", 2_000);
      await subject.store.batches.record(descriptor("job-a", 4_000));
      const again = await subject.reopen(ctx);
      expect((await again.batches.list("job-a", 0, 10)).map((each) => each.batchTime)).toEqual([2_000, 3_000, 4_000]);
      expect(await again.batches.last("job-a")).toEqual(descriptor("job-a", 4_000));
    });
  });
}
