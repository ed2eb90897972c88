/** CheckpointStore: snapshots, completion, keep-last-two, drop. */
import { describe, expect, it } from "vitest";
import { bytes, loadStateText, text, type ConformanceSubject } from "./fixtures.js";

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

    it("keeps jobs apart and drops one job only", async () => {
      await saveAll("job-a", 1_000, 1);
      await subject.store.checkpoints.complete("job-a", 1_000, 1);
      await saveAll("job-b", 1_000, 1);
      await subject.store.checkpoints.complete("job-b", 1_000, 1);
      await subject.store.checkpoints.drop("job-a");
      expect(await subject.store.checkpoints.listComplete("job-a")).toEqual([]);
      expect(await subject.store.checkpoints.load("job-a", 1_000, 0)).toBeUndefined();
      expect(await subject.store.checkpoints.listComplete("job-b")).toEqual([1_000]);
      expect(await loadStateText(subject.store, "job-b", 1_000, 0)).toBe("job-b@1000#0");
    });
  });
}
