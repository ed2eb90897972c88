/**
 * The embedded stream log's segment files: rolling, trims that free disk, request ids that outlive
 * their segment, batch-log trims compacted away, and damage that cuts a partition short.
 */
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DataPaths } from "../../../src/store/embedded/data-paths.js";
import { openEmbeddedStore } from "../../../src/store/embedded/open-embedded-store.js";
import type { Store } from "../../../src/store/types.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Every test block is `b<n>` with n < 10 and a frame of 26 bytes: two fit in a segment of 60 bytes. */
const SEGMENT_BYTES = 60;

describe("embedded store segments", () => {
  let dataDir: string;
  let paths: DataPaths;
  let store: Store;
  const open = async (): Promise<Store> => {
    store = await openEmbeddedStore({ dataDir, segmentBytes: SEGMENT_BYTES });
    return store;
  };
  const reopen = async (): Promise<Store> => {
    await store.close();
    return open();
  };
  const append = async (text: string, requestId?: string): Promise<number> =>
    (await store.streams.append("clicks", 0, { count: 1, payload: encoder.encode(text), requestId })).offset;
  const texts = async (): Promise<string[]> =>
    (await store.streams.read({ stream: "clicks", partition: 0, from: 0, to: 1_000 })).map((block) => decoder.decode(block.payload));
  const files = async (): Promise<string[]> => (await readdir(paths.partition("clicks", 0))).sort();

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "tributary-segments-"));
    paths = new DataPaths(dataDir);
    await open();
  });

  afterEach(async () => {
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("starts a new segment, named by its first offset, when the active one is full", async () => {
    for (let n = 0; n < 5; n++) await append(`b${n}`);
    expect(await files()).toEqual(["0.seg", "2.seg", "4.seg"]);
    expect((await stat(paths.segment("clicks", 0, 2))).size).toBe(52);
  });

  it("deletes on trim the segments wholly below the trim point, and only those", async () => {
    for (let n = 0; n < 7; n++) await append(`b${n}`);
    await store.streams.trim("clicks", 0, 5);
    expect(await files()).toEqual(["4.seg", "6.seg", "start.json"]);
    expect(JSON.parse(await readFile(paths.partitionStart("clicks", 0), "utf8"))).toEqual({ start: 5 });
    expect(await texts()).toEqual(["b5", "b6"]);
    await reopen();
    expect(await texts()).toEqual(["b5", "b6"]);
    expect(await store.streams.startOffset("clicks", 0)).toBe(5);
    expect(await append("b7")).toBe(7);
  });

  it("keeps the active segment when everything is trimmed, and deletes it once sealed", async () => {
    for (let n = 0; n < 3; n++) await append(`b${n}`);
    await store.streams.trim("clicks", 0, 3);
    expect(await files()).toEqual(["2.seg", "start.json"]);
    await append("b3");
    await append("b4"); // seals 2.seg
    await store.streams.trim("clicks", 0, 4);
    expect(await files()).toEqual(["4.seg", "start.json"]);
    await reopen();
    expect(await texts()).toEqual(["b4"]);
  });

  it("saves the request ids of a deleted segment and finds them after a reopen", async () => {
    await append("b0", "req-0");
    await append("b1", "req-1");
    for (let n = 2; n < 5; n++) await append(`b${n}`);
    await store.streams.trim("clicks", 0, 4);
    expect(await files()).not.toContain("0.seg");
    const saved = (await readFile(paths.trimmedRequests("clicks", 0), "utf8")).trimEnd().split("\n").map((line) => JSON.parse(line));
    expect(saved.map((each) => [each.requestId, each.offset])).toEqual([["req-0", 0], ["req-1", 1]]);
    await reopen();
    expect(await store.streams.append("clicks", 0, { count: 1, payload: encoder.encode("again"), requestId: "req-1" })).toEqual({
      offset: 1,
      duplicate: true,
    });
    expect(await store.streams.endOffset("clicks", 0)).toBe(5);
  });

  it("does not save request ids that have expired", async () => {
    await store.close();
    store = await openEmbeddedStore({ dataDir, segmentBytes: SEGMENT_BYTES, idempotencyRetentionMs: 1 });
    await append("b0", "req-0");
    for (let n = 1; n < 4; n++) await append(`b${n}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await store.streams.trim("clicks", 0, 3);
    await expect(stat(paths.trimmedRequests("clicks", 0))).rejects.toThrow(/ENOENT/);
  });

  it("cuts a partition short where a segment is missing, and carries on from there", async () => {
    for (let n = 0; n < 7; n++) await append(`b${n}`);
    await store.close();
    await rm(paths.segment("clicks", 0, 2));
    await open();
    expect(await texts()).toEqual(["b0", "b1"]);
    expect(await files()).toEqual(["0.seg"]);
    expect(await append("x2")).toBe(2);
    await reopen();
    expect(await texts()).toEqual(["b0", "b1", "x2"]);
  });

  it("rewrites a batch file whose lines are mostly trimmed", async () => {
    for (let batchTime = 1; batchTime <= 200; batchTime++) {
      await store.batches.record({ jobId: "job-a", batchTime, ranges: [] });
      await store.batches.trim("job-a", batchTime - 1);
    }
    await store.close();
    const lines = (await readFile(paths.batchFile("job-a"), "utf8")).trimEnd().split("\n");
    expect(lines.length).toBeLessThan(100);
    await open();
    expect((await store.batches.list("job-a", 0, 10)).map((each) => each.batchTime)).toEqual([199, 200]);
  });
});
