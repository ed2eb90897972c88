/** StreamLog: offsets per partition, ranges and clamping, payload ownership, drop. */
import { describe, expect, it } from "vitest";
import { bytes, text, appendTexts, readTexts, type ConformanceSubject } from "./fixtures.js";

export function describeStreamLogContract(subject: ConformanceSubject): void {
  describe("stream log", () => {
    it("starts every partition empty, at offset 0", async () => {
      expect(await subject.store.streams.endOffset("clicks", 0)).toBe(0);
      expect(await subject.store.streams.read({ stream: "clicks", partition: 0, from: 0, to: 10 })).toEqual([]);
    });

    it("gives offsets 0, 1, 2, ... per partition, independently of other partitions and streams", async () => {
      expect(await appendTexts(subject.store, "clicks", 0, ["a", "b", "c"])).toEqual([0, 1, 2]);
      expect(await appendTexts(subject.store, "clicks", 1, ["d"])).toEqual([0]);
      expect(await appendTexts(subject.store, "views", 0, ["e", "f"])).toEqual([0, 1]);
      expect(await subject.store.streams.endOffset("clicks", 0)).toBe(3);
      expect(await subject.store.streams.endOffset("clicks", 1)).toBe(1);
      expect(await subject.store.streams.endOffset("clicks", 2)).toBe(0);
      expect(await subject.store.streams.endOffset("views", 0)).toBe(2);
    });

    it("reads back each block's offset, count, payload and append time", async () => {
      const before = Date.now();
      await subject.store.streams.append("clicks", 0, { count: 3, payload: bytes('[{"a":1},{"a":2},{"a":3}]') });
      await subject.store.streams.append("clicks", 0, { count: 0, payload: new Uint8Array(0) });
      const after = Date.now();
      const blocks = await subject.store.streams.read({ stream: "clicks", partition: 0, from: 0, to: 2 });
      expect(blocks.map((block) => ({ offset: block.offset, count: block.count, payload: text(block.payload) }))).toEqual([
        { offset: 0, count: 3, payload: '[{"a":1},{"a":2},{"a":3}]' },
        { offset: 1, count: 0, payload: "" },
      ]);
      for (const block of blocks) {
        expect(block.payload).toBeInstanceOf(Uint8Array);
        expect(block.appendedAt).toBeGreaterThanOrEqual(before);
        expect(block.appendedAt).toBeLessThanOrEqual(after);
      }
    });

    it("reads from <= offset < to, clamped to the blocks that exist", async () => {
      await appendTexts(subject.store, "clicks", 0, ["0", "1", "2", "3", "4"]);
      expect(await readTexts(subject.store, "clicks", 0, 1, 3)).toEqual(["1", "2"]);
      expect(await readTexts(subject.store, "clicks", 0, 3, 100)).toEqual(["3", "4"]);
      expect(await readTexts(subject.store, "clicks", 0, -5, 2)).toEqual(["0", "1"]);
      expect(await readTexts(subject.store, "clicks", 0, 0, 5)).toEqual(["0", "1", "2", "3", "4"]);
      expect(await readTexts(subject.store, "clicks", 0, 5, 10)).toEqual([]);
      expect(await readTexts(subject.store, "clicks", 0, 2, 2)).toEqual([]);
      expect(await readTexts(subject.store, "clicks", 0, 4, 2)).toEqual([]);
      const offsets = (await subject.store.streams.read({ stream: "clicks", partition: 0, from: 2, to: 4 })).map((b) => b.offset);
      expect(offsets).toEqual([2, 3]);
    });

    it("reads nothing from a stream or partition never written", async () => {
      await appendTexts(subject.store, "clicks", 0, ["a"]);
      expect(await subject.store.streams.read({ stream: "clicks", partition: 7, from: 0, to: 10 })).toEqual([]);
      expect(await subject.store.streams.read({ stream: "nothing", partition: 0, from: 0, to: 10 })).toEqual([]);
    });

    it("keeps concurrent appends to one partition in call order, with distinct offsets", async () => {
      const texts = Array.from({ length: 50 }, (_, i) => `block-${i}`);
      const results = await Promise.all([
        ...texts.map((each) => subject.store.streams.append("clicks", 0, { count: 1, payload: bytes(each) })),
        ...texts.map((each) => subject.store.streams.append("clicks", 1, { count: 1, payload: bytes(`p1-${each}`) })),
      ]);
      const expected = texts.map((_, i) => ({ offset: i, duplicate: false }));
      expect(results).toEqual([...expected, ...expected]);
      expect(await readTexts(subject.store, "clicks", 0, 0, 50)).toEqual(texts);
      expect(await readTexts(subject.store, "clicks", 1, 0, 50)).toEqual(texts.map((each) => `p1-${each}`));
    });

    it("stores its own copy of a payload and hands out copies", async () => {
      const payload = bytes("original");
      await subject.store.streams.append("clicks", 0, { count: 1, payload });
      payload.fill(0x21); // the caller reuses its buffer
      const [first] = await subject.store.streams.read({ stream: "clicks", partition: 0, from: 0, to: 1 });
      expect(text(first!.payload)).toBe("original");
      first!.payload.fill(0x21); // a reader scribbles on what it got
      expect(await readTexts(subject.store, "clicks", 0, 0, 1)).toEqual(["original"]);
    });

    it("drops every partition of one stream, and the stream starts again at offset 0", async () => {
      await appendTexts(subject.store, "clicks", 0, ["a", "b"]);
      await appendTexts(subject.store, "clicks", 1, ["c"]);
      await appendTexts(subject.store, "views", 0, ["d"]);
      await subject.store.streams.drop("clicks");
      expect(await subject.store.streams.endOffset("clicks", 0)).toBe(0);
      expect(await subject.store.streams.endOffset("clicks", 1)).toBe(0);
      expect(await subject.store.streams.read({ stream: "clicks", partition: 0, from: 0, to: 10 })).toEqual([]);
      expect(await readTexts(subject.store, "views", 0, 0, 10)).toEqual(["d"]);
      expect(await appendTexts(subject.store, "clicks", 0, ["again"])).toEqual([0]);
      expect(await readTexts(subject.store, "clicks", 0, 0, 10)).toEqual(["again"]);
    });

    it("removes appends issued before a drop, even those still in flight", async () => {
      const inFlight = Array.from({ length: 20 }, (_, i) => subject.store.streams.append("clicks", i % 2, { count: 1, payload: bytes(`${i}`) }));
      await subject.store.streams.drop("clicks");
      await Promise.allSettled(inFlight);
      expect(await subject.store.streams.endOffset("clicks", 0)).toBe(0);
      expect(await subject.store.streams.endOffset("clicks", 1)).toBe(0);
      expect(await appendTexts(subject.store, "clicks", 0, ["after"])).toEqual([0]);
      expect(await readTexts(subject.store, "clicks", 0, 0, 10)).toEqual(["after"]);
    });

    it("drops a stream never written without complaint", async () => {
      await expect(subject.store.streams.drop("nothing")).resolves.toBeUndefined();
    });
  });
}
