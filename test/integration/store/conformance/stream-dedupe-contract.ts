/** StreamLog.append with a requestId: a repeated request finds its first block instead of storing again. */
import { describe, expect, it } from "vitest";
import { appendTexts, appendWithId, bytes, readTexts, sleep, type ConformanceSubject } from "./fixtures.js";

export function describeStreamDedupeContract(subject: ConformanceSubject): void {
  describe("stream log request ids", () => {
    it("appends a block with a new requestId like any other", async () => {
      expect(await appendWithId(subject.store, "clicks", 0, "a", "req-1")).toEqual({ offset: 0, duplicate: false });
      expect(await appendWithId(subject.store, "clicks", 0, "b", "req-2")).toEqual({ offset: 1, duplicate: false });
      expect(await readTexts(subject.store, "clicks", 0, 0, 10)).toEqual(["a", "b"]);
    });

    it("returns the original offset for a repeated requestId and stores nothing", async () => {
      await appendWithId(subject.store, "clicks", 0, "first", "req-1");
      await appendTexts(subject.store, "clicks", 0, ["no id"]);
      expect(await appendWithId(subject.store, "clicks", 0, "retry with other bytes", "req-1")).toEqual({ offset: 0, duplicate: true });
      expect(await appendWithId(subject.store, "clicks", 0, "again", "req-1")).toEqual({ offset: 0, duplicate: true });
      expect(await subject.store.streams.endOffset("clicks", 0)).toBe(2);
      expect(await readTexts(subject.store, "clicks", 0, 0, 10)).toEqual(["first", "no id"]);
      expect(await appendWithId(subject.store, "clicks", 0, "next", "req-2")).toEqual({ offset: 2, duplicate: false });
    });

    it("dedupes each partition of each stream independently", async () => {
      expect(await appendWithId(subject.store, "clicks", 0, "p0", "same")).toEqual({ offset: 0, duplicate: false });
      expect(await appendWithId(subject.store, "clicks", 1, "p1", "same")).toEqual({ offset: 0, duplicate: false });
      expect(await appendWithId(subject.store, "views", 0, "v0", "same")).toEqual({ offset: 0, duplicate: false });
      await appendTexts(subject.store, "clicks", 1, ["x"]);
      expect(await appendWithId(subject.store, "clicks", 1, "p1 again", "same")).toEqual({ offset: 0, duplicate: true });
      expect(await readTexts(subject.store, "clicks", 0, 0, 10)).toEqual(["p0"]);
      expect(await readTexts(subject.store, "clicks", 1, 0, 10)).toEqual(["p1", "x"]);
      expect(await readTexts(subject.store, "views", 0, 0, 10)).toEqual(["v0"]);
    });

    it("stores once when concurrent appends carry the same requestId", async () => {
      const ids = ["r0", "r1", "r2", "r3", "r4"];
      // Each id four times, interleaved, none awaited before the next is issued.
      const attempts = [0, 1, 2, 3].flatMap((round) =>
        ids.map((id) => subject.store.streams.append("clicks", 0, { count: 1, payload: bytes(`${id}#${round}`), requestId: id })),
      );
      const results = await Promise.all(attempts);
      expect(results.filter((each) => !each.duplicate)).toHaveLength(ids.length);
      expect(await subject.store.streams.endOffset("clicks", 0)).toBe(ids.length);
      const stored = await readTexts(subject.store, "clicks", 0, 0, 10);
      ids.forEach((id, n) => {
        const offsets = results.filter((_, i) => i % ids.length === n).map((each) => each.offset);
        expect(new Set(offsets).size).toBe(1); // every attempt of one id got the same offset
        expect(stored[offsets[0]!]).toBe(`${id}#0`); // and it holds the first attempt's bytes
      });
    });

    it("appends again once the idempotency retention has passed", async () => {
      const store = await subject.openAnother({ idempotencyRetentionMs: 100 });
      expect((await store.streams.append("clicks", 0, { count: 1, payload: bytes("a"), requestId: "req" })).duplicate).toBe(false);
      expect(await store.streams.append("clicks", 0, { count: 1, payload: bytes("b"), requestId: "req" })).toEqual({ offset: 0, duplicate: true });
      await sleep(250);
      expect(await store.streams.append("clicks", 0, { count: 1, payload: bytes("c"), requestId: "req" })).toEqual({ offset: 1, duplicate: false });
      expect(await store.streams.append("clicks", 0, { count: 1, payload: bytes("d"), requestId: "req" })).toEqual({ offset: 1, duplicate: true });
    });

    it("still finds a block's requestId after the block was trimmed", async () => {
      await appendWithId(subject.store, "clicks", 0, "a", "req-a");
      await appendTexts(subject.store, "clicks", 0, ["b", "c"]);
      await subject.store.streams.trim("clicks", 0, 2);
      expect(await appendWithId(subject.store, "clicks", 0, "a again", "req-a")).toEqual({ offset: 0, duplicate: true });
      expect(await subject.store.streams.endOffset("clicks", 0)).toBe(3);
    });

    it("forgets the requestIds of a dropped stream", async () => {
      await appendTexts(subject.store, "clicks", 0, ["x", "y"]);
      await appendWithId(subject.store, "clicks", 0, "a", "req-a");
      await subject.store.streams.drop("clicks");
      expect(await appendWithId(subject.store, "clicks", 0, "a after drop", "req-a")).toEqual({ offset: 0, duplicate: false });
      expect(await appendWithId(subject.store, "clicks", 0, "retry", "req-a")).toEqual({ offset: 0, duplicate: true });
      expect(await readTexts(subject.store, "clicks", 0, 0, 10)).toEqual(["a after drop"]);
    });

    it("refuses an empty or overlong requestId", async () => {
      await expect(appendWithId(subject.store, "clicks", 0, "x", "")).rejects.toThrow(RangeError);
      await expect(appendWithId(subject.store, "clicks", 0, "x", "k".repeat(1025))).rejects.toThrow(RangeError);
      expect(await appendWithId(subject.store, "clicks", 0, "x", "é".repeat(512))).toEqual({ offset: 0, duplicate: false });
      expect(await subject.store.streams.endOffset("clicks", 0)).toBe(1);
    });

    it("keeps requestIds across a reopen", async (ctx) => {
      await appendWithId(subject.store, "clicks", 0, "a", "req-a");
      await appendWithId(subject.store, "clicks", 1, "b", "req-b");
      const again = await subject.reopen(ctx);
      expect(await appendWithId(again, "clicks", 0, "a again", "req-a")).toEqual({ offset: 0, duplicate: true });
      expect(await appendWithId(again, "clicks", 1, "b again", "req-b")).toEqual({ offset: 0, duplicate: true });
      expect(await appendWithId(again, "clicks", 0, "new", "req-b")).toEqual({ offset: 1, duplicate: false });
    });
  });
}
