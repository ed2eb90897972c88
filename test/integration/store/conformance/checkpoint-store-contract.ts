/** CheckpointStore: snapshots, completion (with the job's counters), keep-last-two, drop, reopen. */
import { describe, expect, it } from "vitest";
import type { JobCounters } from "../../../../src/store/types.js";
import { bytes, loadStateText, text, type ConformanceSubject } from "./fixtures.js";

/** Counters that differ field by field and from checkpoint to checkpoint, so a mix-up shows. */
const countersAt = (batchTime: number): JobCounters => ({ batches: batchTime / 1_000, events: batchTime + 7, rowErrors: batchTime / 500, lateEvents: batchTime / 250 + 1 });

export function describeCheckpointStoreContract(subject: ConformanceSubject): void {
  describe("checkpoint store", () => {
    const saveAll = async (jobId: string, batchTime: number, partitions: number): Promise<void> => {
      for (let partition = 0; partition < partitions; partition++) {
        await subject.store.checkpoints.save(jobId, batchTime, partition, bytes(`${jobId}@${batchTime}#${partition}`));
      }
    };

    it("loads what was saved, the latest save winning, and undefined for what was not", async () => {
      await subject.store.checkpoints.save("job-a", 1_000, 0, bytes("first"));
      await subject.store.checkpoints.save("job-a", 1_000, 1, bytes("other"));
      await subject.store.checkpoints.save("job-a", 1_000, 0, bytes("second"));
      await subject.store.checkpoints.save("job-a", 1_000, 2, new Uint8Array(0));
      expect(await loadStateText(subject.store, "job-a", 1_000, 0)).toBe("second");
      expect(await loadStateText(subject.store, "job-a", 1_000, 1)).toBe("other");
      expect(await loadStateText(subject.store, "job-a", 1_000, 2)).toBe("");
      expect(await subject.store.checkpoints.load("job-a", 1_000, 3)).toBeUndefined();
      expect(await subject.store.checkpoints.load("job-a", 2_000, 0)).toBeUndefined();
      expect(await subject.store.checkpoints.load("job-b", 1_000, 0)).toBeUndefined();
    });

    it("stores its own copy of a snapshot and hands out copies", async () => {
      const state = bytes("state");
      await subject.store.checkpoints.save("job-a", 1_000, 0, state);
      state.fill(0x21);
      const loaded = await subject.store.checkpoints.load("job-a", 1_000, 0);
      expect(text(loaded!)).toBe("state");
      loaded!.fill(0x21);
      expect(await loadStateText(subject.store, "job-a", 1_000, 0)).toBe("state");
    });

    it("lists no complete checkpoint until one is completed", async () => {
      await saveAll("job-a", 1_000, 2);
      expect(await subject.store.checkpoints.listComplete("job-a")).toEqual([]);
      await subject.store.checkpoints.complete("job-a", 1_000, 2);
      expect(await subject.store.checkpoints.listComplete("job-a")).toEqual([1_000]);
    });

    it("refuses to complete a checkpoint with a partition not saved", async () => {
      await subject.store.checkpoints.save("job-a", 1_000, 0, bytes("p0"));
      await subject.store.checkpoints.save("job-a", 1_000, 2, bytes("p2"));
      await expect(subject.store.checkpoints.complete("job-a", 1_000, 3)).rejects.toThrow(Error);
      expect(await subject.store.checkpoints.listComplete("job-a")).toEqual([]);
    });

    it("lists complete checkpoints newest first and keeps only the last two", async () => {
      await saveAll("job-a", 1_000, 2);
      await subject.store.checkpoints.complete("job-a", 1_000, 2);
      await saveAll("job-a", 2_000, 2);
      await subject.store.checkpoints.complete("job-a", 2_000, 2);
      expect(await subject.store.checkpoints.listComplete("job-a")).toEqual([2_000, 1_000]);
      await saveAll("job-a", 3_000, 2);
      await subject.store.checkpoints.complete("job-a", 3_000, 2);
      expect(await subject.store.checkpoints.listComplete("job-a")).toEqual([3_000, 2_000]);
      expect(await subject.store.checkpoints.load("job-a", 1_000, 0)).toBeUndefined();
      expect(await subject.store.checkpoints.load("job-a", 1_000, 1)).toBeUndefined();
      expect(await loadStateText(subject.store, "job-a", 2_000, 1)).toBe("job-a@2000#1");
      expect(await loadStateText(subject.store, "job-a", 3_000, 0)).toBe("job-a@3000#0");
    });

    it("keeps a newer checkpoint still being saved when an older one completes", async () => {
      await saveAll("job-a", 1_000, 2);
      await subject.store.checkpoints.complete("job-a", 1_000, 2);
      await saveAll("job-a", 2_000, 2);
      await subject.store.checkpoints.complete("job-a", 2_000, 2);
      await saveAll("job-a", 3_000, 2);
      await subject.store.checkpoints.save("job-a", 4_000, 0, bytes("in progress"));
      await subject.store.checkpoints.complete("job-a", 3_000, 2);
      expect(await loadStateText(subject.store, "job-a", 4_000, 0)).toBe("in progress");
      await subject.store.checkpoints.save("job-a", 4_000, 1, bytes("done"));
      await subject.store.checkpoints.complete("job-a", 4_000, 2);
      expect(await subject.store.checkpoints.listComplete("job-a")).toEqual([4_000, 3_000]);
    });

    it("returns the counters a checkpoint was completed with, and none before it is complete", async () => {
      await saveAll("job-a", 1_000, 2);
      expect(await subject.store.checkpoints.counters("job-a", 1_000)).toBeUndefined();
      await subject.store.checkpoints.complete("job-a", 1_000, 2, countersAt(1_000));
      expect(await subject.store.checkpoints.counters("job-a", 1_000)).toEqual(countersAt(1_000));
      expect(await subject.store.checkpoints.counters("job-a", 2_000)).toBeUndefined();
      expect(await subject.store.checkpoints.counters("job-b", 1_000)).toBeUndefined();
    });

    it("returns no counters for a checkpoint completed without them (written before checkpoints carried counters)", async () => {
      await saveAll("job-a", 1_000, 1);
      await subject.store.checkpoints.complete("job-a", 1_000, 1);
      expect(await subject.store.checkpoints.listComplete("job-a")).toEqual([1_000]);
      expect(await subject.store.checkpoints.counters("job-a", 1_000)).toBeUndefined();
      expect(await loadStateText(subject.store, "job-a", 1_000, 0)).toBe("job-a@1000#0");
    });

    it("leaves counters unchanged when a refused completion carried new ones", async () => {
      await saveAll("job-a", 1_000, 1);
      await subject.store.checkpoints.complete("job-a", 1_000, 1, countersAt(1_000));
      await subject.store.checkpoints.save("job-a", 2_000, 0, bytes("p0"));
      await expect(subject.store.checkpoints.complete("job-a", 2_000, 2, countersAt(2_000))).rejects.toThrow(Error);
      expect(await subject.store.checkpoints.counters("job-a", 2_000)).toBeUndefined();
      expect(await subject.store.checkpoints.counters("job-a", 1_000)).toEqual(countersAt(1_000));
    });

    it("refuses counters that are not non-negative integers", async () => {
      await saveAll("job-a", 1_000, 1);
      await expect(subject.store.checkpoints.complete("job-a", 1_000, 1, { ...countersAt(1_000), events: -1 })).rejects.toThrow(RangeError);
      await expect(subject.store.checkpoints.complete("job-a", 1_000, 1, { ...countersAt(1_000), batches: 1.5 })).rejects.toThrow(RangeError);
      expect(await subject.store.checkpoints.listComplete("job-a")).toEqual([]);
    });

    it("completes a checkpoint of a job without state (0 partitions): its counters alone", async () => {
      await subject.store.checkpoints.complete("job-a", 1_000, 0, countersAt(1_000));
      await subject.store.checkpoints.complete("job-a", 2_000, 0, countersAt(2_000));
      await subject.store.checkpoints.complete("job-a", 3_000, 0, countersAt(3_000));
      expect(await subject.store.checkpoints.listComplete("job-a")).toEqual([3_000, 2_000]);
      expect(await subject.store.checkpoints.counters("job-a", 3_000)).toEqual(countersAt(3_000));
      expect(await subject.store.checkpoints.counters("job-a", 2_000)).toEqual(countersAt(2_000));
      expect(await subject.store.checkpoints.counters("job-a", 1_000)).toBeUndefined();
      expect(await subject.store.checkpoints.load("job-a", 3_000, 0)).toBeUndefined();
    });

    it("forgets the counters of pruned checkpoints and keeps those of the last two", async () => {
      for (const batchTime of [1_000, 2_000, 3_000]) {
        await saveAll("job-a", batchTime, 2);
        await subject.store.checkpoints.complete("job-a", batchTime, 2, countersAt(batchTime));
      }
      expect(await subject.store.checkpoints.counters("job-a", 1_000)).toBeUndefined();
      expect(await subject.store.checkpoints.counters("job-a", 2_000)).toEqual(countersAt(2_000));
      expect(await subject.store.checkpoints.counters("job-a", 3_000)).toEqual(countersAt(3_000));
    });

    it("keeps counters across a reopen, with and without state, and none for a checkpoint completed without", async (ctx) => {
      await saveAll("keyed", 1_000, 2);
      await subject.store.checkpoints.complete("keyed", 1_000, 2);
      await saveAll("keyed", 2_000, 2);
      await subject.store.checkpoints.complete("keyed", 2_000, 2, countersAt(2_000));
      await subject.store.checkpoints.complete("stateless", 5_000, 0, countersAt(5_000));

      const again = await subject.reopen(ctx);

      expect(await again.checkpoints.listComplete("keyed")).toEqual([2_000, 1_000]);
      expect(await again.checkpoints.counters("keyed", 2_000)).toEqual(countersAt(2_000));
      expect(await again.checkpoints.counters("keyed", 1_000)).toBeUndefined();
      expect(await again.checkpoints.listComplete("stateless")).toEqual([5_000]);
      expect(await again.checkpoints.counters("stateless", 5_000)).toEqual(countersAt(5_000));
    });

    it("keeps jobs apart and drops one job only", async () => {
      await saveAll("job-a", 1_000, 1);
      await subject.store.checkpoints.complete("job-a", 1_000, 1);
      await saveAll("job-b", 1_000, 1);
      await subject.store.checkpoints.complete("job-b", 1_000, 1);
      await subject.store.checkpoints.complete("job-a", 2_000, 0, countersAt(2_000));
      await subject.store.checkpoints.complete("job-b", 2_000, 0, countersAt(3_000));
      await subject.store.checkpoints.drop("job-a");
      expect(await subject.store.checkpoints.listComplete("job-a")).toEqual([]);
      expect(await subject.store.checkpoints.counters("job-a", 2_000)).toBeUndefined();
      expect(await subject.store.checkpoints.counters("job-b", 2_000)).toEqual(countersAt(3_000));
      expect(await subject.store.checkpoints.load("job-a", 1_000, 0)).toBeUndefined();
      expect(await subject.store.checkpoints.listComplete("job-b")).toEqual([2_000, 1_000]);
      expect(await loadStateText(subject.store, "job-b", 1_000, 0)).toBe("job-b@1000#0");
    });
  });
}
