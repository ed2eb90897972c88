/** StreamLog.trim and startOffset: the oldest blocks go, every other offset keeps its meaning. */
import { describe, expect, it } from "vitest";
import { appendTexts, appendWithId, readTexts, type ConformanceSubject } from "./fixtures.js";

export function describeStreamTrimContract(subject: ConformanceSubject): void {
  describe("stream log trim", () => {
    const offsetsOf = async (stream: string, partition: number, from: number, to: number): Promise<number[]> =>
      (await subject.store.streams.read({ stream, partition, from, to })).map((block) => block.offset);

    it("starts every partition at offset 0", async () => {
      expect(await subject.store.streams.startOffset("clicks", 0)).toBe(0);
      await appendTexts(subject.store, "clicks", 0, ["a"]);
      expect(await subject.store.streams.startOffset("clicks", 0)).toBe(0);
    });

    it("drops the blocks below the trim point and leaves offsets and the end alone", async () => {
      const texts = Array.from({ length: 10 }, (_, i) => `b${i}`);
      await appendTexts(subject.store, "clicks", 0, texts);
      await subject.store.streams.trim("clicks", 0, 4);
      expect(await subject.store.streams.startOffset("clicks", 0)).toBe(4);
      expect(await subject.store.streams.endOffset("clicks", 0)).toBe(10);
      expect(await offsetsOf("clicks", 0, 0, 100)).toEqual([4, 5, 6, 7, 8, 9]);
      expect(await readTexts(subject.store, "clicks", 0, 0, 6)).toEqual(["b4", "b5"]);
      expect(await readTexts(subject.store, "clicks", 0, 0, 4)).toEqual([]);
      expect(await appendTexts(subject.store, "clicks", 0, ["b10"])).toEqual([10]);
      await subject.store.streams.trim("clicks", 0, 9);
      expect(await readTexts(subject.store, "clicks", 0, 0, 100)).toEqual(["b9", "b10"]);
    });

    it("never trims past the end, nor back below an earlier trim", async () => {
      await appendTexts(subject.store, "clicks", 0, ["a", "b", "c"]);
      await subject.store.streams.trim("clicks", 0, 100);
      expect(await subject.store.streams.startOffset("clicks", 0)).toBe(3);
      expect(await subject.store.streams.endOffset("clicks", 0)).toBe(3);
      expect(await readTexts(subject.store, "clicks", 0, 0, 100)).toEqual([]);
      await subject.store.streams.trim("clicks", 0, 1);
      expect(await subject.store.streams.startOffset("clicks", 0)).toBe(3);
      expect(await appendTexts(subject.store, "clicks", 0, ["d"])).toEqual([3]);
      expect(await offsetsOf("clicks", 0, 0, 100)).toEqual([3]);
    });

    it("trims one partition only, and a partition never written not at all", async () => {
      await appendTexts(subject.store, "clicks", 0, ["a", "b"]);
      await appendTexts(subject.store, "clicks", 1, ["c", "d"]);
      await subject.store.streams.trim("clicks", 0, 1);
      await subject.store.streams.trim("clicks", 7, 5);
      await subject.store.streams.trim("nothing", 0, 5);
      expect(await readTexts(subject.store, "clicks", 1, 0, 10)).toEqual(["c", "d"]);
      expect(await subject.store.streams.startOffset("clicks", 1)).toBe(0);
      expect(await subject.store.streams.startOffset("clicks", 7)).toBe(0);
      expect(await subject.store.streams.endOffset("nothing", 0)).toBe(0);
      expect(await appendTexts(subject.store, "nothing", 0, ["first"])).toEqual([0]);
    });

    it("starts a dropped stream again at offset 0", async () => {
      await appendTexts(subject.store, "clicks", 0, ["a", "b", "c"]);
      await subject.store.streams.trim("clicks", 0, 2);
      await subject.store.streams.drop("clicks");
      expect(await subject.store.streams.startOffset("clicks", 0)).toBe(0);
      expect(await subject.store.streams.endOffset("clicks", 0)).toBe(0);
      expect(await appendTexts(subject.store, "clicks", 0, ["again"])).toEqual([0]);
    });

    it("keeps a trim across a reopen", async (ctx) => {
      await appendWithId(subject.store, "clicks", 0, "b0", "req-0");
      await appendTexts(subject.store, "clicks", 0, Array.from({ length: 9 }, (_, i) => `b${i + 1}`));
      await subject.store.streams.trim("clicks", 0, 6);
      await appendTexts(subject.store, "clicks", 1, ["other"]);
      await subject.store.streams.trim("clicks", 1, 1);
      const again = await subject.reopen(ctx);
      expect(await again.streams.startOffset("clicks", 0)).toBe(6);
      expect(await again.streams.endOffset("clicks", 0)).toBe(10);
      expect(await readTexts(again, "clicks", 0, 0, 100)).toEqual(["b6", "b7", "b8", "b9"]);
      expect(await again.streams.startOffset("clicks", 1)).toBe(1);
      expect(await again.streams.endOffset("clicks", 1)).toBe(1);
      expect(await appendWithId(again, "clicks", 0, "b0 again", "req-0")).toEqual({ offset: 0, duplicate: true });
      expect(await appendTexts(again, "clicks", 0, ["b10"])).toEqual([10]);
      expect(await appendTexts(again, "clicks", 1, ["next"])).toEqual([1]);
    });
  });
}
