/**
 * Store lifecycle: ping, close, and everything acknowledged surviving a close and reopen (skipped for
 * a store that cannot reopen its data).
 */
import { describe, expect, it } from "vitest";
import {
  appendFrames,
  appendTexts,
  bytes,
  CONFORMANCE_RESULT_HISTORY,
  descriptor,
  frame,
  jobRecord,
  loadStateText,
  readTexts,
  streamDefinition,
  type ConformanceSubject,
} from "./fixtures.js";

export function describeLifecycleContract(subject: ConformanceSubject): void {
  describe("lifecycle", () => {
    it("answers ping while open", async () => {
      await expect(subject.store.ping()).resolves.toBeUndefined();
    });

    it("refuses writes after close, and closes twice without complaint", async () => {
      await subject.store.close();
      await expect(subject.store.streams.append("clicks", 0, { count: 1, payload: bytes("late") })).rejects.toThrow(Error);
      await expect(subject.store.results.append("job-a", frame(1))).rejects.toThrow(Error);
      await expect(subject.store.close()).resolves.toBeUndefined();
    });
  });

  describe("durability across a reopen", () => {
    it("keeps everything acknowledged", async (ctx) => {
      const history = CONFORMANCE_RESULT_HISTORY;
      await appendTexts(subject.store, "clicks", 0, ["a", "b", "c"]);
      await subject.store.streams.append("clicks", 1, { count: 2, payload: bytes("[1,2]") });
      const written = await subject.store.streams.read({ stream: "clicks", partition: 1, from: 0, to: 1 });
      for (const batchTime of [1_000, 2_000, 3_000]) await subject.store.batches.record(descriptor("job-a", batchTime));
      await appendFrames(subject.store, "job-a", 1, 3 * history + 2);
      await appendFrames(subject.store, "job-b", 1, 2);
      await subject.store.catalog.putStream(streamDefinition("clicks"));
      await subject.store.catalog.putJob(jobRecord("job-a"));
      await subject.store.checkpoints.save("job-a", 1_000, 0, bytes("cp1000"));
      await subject.store.checkpoints.complete("job-a", 1_000, 1);
      await subject.store.checkpoints.save("job-a", 2_000, 0, bytes("cp2000"));
      await subject.store.checkpoints.complete("job-a", 2_000, 1);
      await subject.store.checkpoints.save("job-a", 3_000, 0, bytes("in progress"));

      const again = await subject.reopen(ctx);

      expect(await again.streams.endOffset("clicks", 0)).toBe(3);
      expect(await readTexts(subject.store, "clicks", 0, 0, 10)).toEqual(["a", "b", "c"]);
      expect(await again.streams.read({ stream: "clicks", partition: 1, from: 0, to: 10 })).toEqual(written);
      expect(await again.batches.list("job-a", 0, 10)).toEqual([1_000, 2_000, 3_000].map((t) => descriptor("job-a", t)));
      const last = 3 * history + 2;
      expect(await again.results.bounds("job-a")).toEqual({ first: last - history + 1, last });
      expect(await again.results.read("job-a", 0, 100)).toEqual(
        Array.from({ length: history }, (_, i) => frame(last - history + 1 + i)),
      );
      expect(await again.results.read("job-b", 0, 100)).toEqual([frame(1), frame(2)]);
      expect(await again.catalog.listStreams()).toEqual([streamDefinition("clicks")]);
      expect(await again.catalog.getJob("job-a")).toEqual(jobRecord("job-a"));
      expect(await again.checkpoints.listComplete("job-a")).toEqual([2_000, 1_000]);
      expect(await loadStateText(again, "job-a", 1_000, 0)).toBe("cp1000");
      expect(await loadStateText(again, "job-a", 3_000, 0)).toBe("in progress");
    });

    it("carries on where it left off", async (ctx) => {
      await appendTexts(subject.store, "clicks", 0, ["a", "b"]);
      await appendFrames(subject.store, "job-a", 1, 2);
      await subject.store.batches.record(descriptor("job-a", 1_000));
      const again = await subject.reopen(ctx);
      expect(await appendTexts(subject.store, "clicks", 0, ["c"])).toEqual([2]);
      await expect(again.results.append("job-a", frame(1))).rejects.toThrow(Error);
      await again.results.append("job-a", frame(3));
      expect(await again.results.bounds("job-a")).toEqual({ first: 1, last: 3 });
      await again.batches.record(descriptor("job-a", 2_000));
      expect((await again.batches.list("job-a", 0, 10)).map((each) => each.batchTime)).toEqual([1_000, 2_000]);
      await again.checkpoints.save("job-a", 1_000, 0, bytes("x"));
      await again.checkpoints.complete("job-a", 1_000, 1);

      const third = await subject.reopen(ctx);
      expect(await readTexts(subject.store, "clicks", 0, 0, 10)).toEqual(["a", "b", "c"]);
      expect(await third.results.bounds("job-a")).toEqual({ first: 1, last: 3 });
      expect(await third.checkpoints.listComplete("job-a")).toEqual([1_000]);
    });

    it("finishes writes still in flight when closed", async (ctx) => {
      const appends = Array.from({ length: 20 }, (_, i) => subject.store.streams.append("clicks", i % 2, { count: 1, payload: bytes(`b${i}`) }));
      const frames = [1, 2, 3].map((seq) => subject.store.results.append("job-a", frame(seq)));
      const results = await Promise.all([subject.store.close(), ...appends, ...frames]).then((all) => all.slice(1, 21));
      expect(results).toEqual(Array.from({ length: 20 }, (_, i) => ({ offset: Math.floor(i / 2), duplicate: false })));
      const again = await subject.reopen(ctx);
      expect(await again.streams.endOffset("clicks", 0)).toBe(10);
      expect(await readTexts(subject.store, "clicks", 1, 0, 10)).toEqual(Array.from({ length: 10 }, (_, i) => `b${2 * i + 1}`));
      expect(await again.results.bounds("job-a")).toEqual({ first: 1, last: 3 });
    });

    it("keeps drops and deletions", async (ctx) => {
      await appendTexts(subject.store, "clicks", 0, ["a"]);
      await appendTexts(subject.store, "views", 0, ["v"]);
      await subject.store.batches.record(descriptor("job-a", 1_000));
      await appendFrames(subject.store, "job-a", 1, 2);
      await subject.store.catalog.putStream(streamDefinition("clicks"));
      await subject.store.catalog.putJob(jobRecord("job-a"));
      await subject.store.checkpoints.save("job-a", 1_000, 0, bytes("x"));
      await subject.store.checkpoints.complete("job-a", 1_000, 1);

      await subject.store.streams.drop("clicks");
      await subject.store.batches.drop("job-a");
      await subject.store.results.drop("job-a");
      await subject.store.catalog.deleteStream("clicks");
      await subject.store.catalog.deleteJob("job-a");
      await subject.store.checkpoints.drop("job-a");

      const again = await subject.reopen(ctx);
      expect(await again.streams.endOffset("clicks", 0)).toBe(0);
      expect(await readTexts(subject.store, "views", 0, 0, 10)).toEqual(["v"]);
      expect(await again.batches.last("job-a")).toBeUndefined();
      expect(await again.results.bounds("job-a")).toEqual({ first: 0, last: 0 });
      expect(await again.catalog.listStreams()).toEqual([]);
      expect(await again.catalog.listJobs()).toEqual([]);
      expect(await again.checkpoints.listComplete("job-a")).toEqual([]);
      expect(await again.checkpoints.load("job-a", 1_000, 0)).toBeUndefined();
    });
  });
}
