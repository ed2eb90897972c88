/**
 * The embedded store against the store contract, plus what only a file-backed store has: torn tails,
 * leftover temporary files, a killed process, names that try to leave the data directory.
 */
import { spawn } from "node:child_process";
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { encodeBlockFrame } from "../../../src/store/embedded/block-frame.js";
import { DataPaths } from "../../../src/store/embedded/data-paths.js";
import { openEmbeddedStore } from "../../../src/store/embedded/open-embedded-store.js";
import type { ResultFrame, Store } from "../../../src/store/types.js";
import { CONFORMANCE_RESULT_HISTORY, CONFORMANCE_RESULT_HISTORY_ROWS, CONFORMANCE_RESULT_RECENT_SEQS, describeStoreConformance } from "./store-conformance.js";

async function freshDataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "tributary-embedded-"));
}

describeStoreConformance("embedded", async (options) => {
  const dataDir = await freshDataDir();
  const open = (): Promise<Store> => openEmbeddedStore({ ...options, dataDir, resultHistory: CONFORMANCE_RESULT_HISTORY, resultHistoryRows: CONFORMANCE_RESULT_HISTORY_ROWS, resultRecentSeqs: CONFORMANCE_RESULT_RECENT_SEQS });
  return { store: await open(), reopen: open, cleanup: () => rm(dataDir, { recursive: true, force: true }) };
});

describeStoreConformance("embedded with sync", async (options) => {
  const dataDir = await freshDataDir();
  const open = (): Promise<Store> => openEmbeddedStore({ ...options, dataDir, resultHistory: CONFORMANCE_RESULT_HISTORY, resultHistoryRows: CONFORMANCE_RESULT_HISTORY_ROWS, resultRecentSeqs: CONFORMANCE_RESULT_RECENT_SEQS, sync: true });
  return { store: await open(), reopen: open, cleanup: () => rm(dataDir, { recursive: true, force: true }) };
});

// Segments of about two blocks each, so every contract test also rolls, seals and deletes segments.
describeStoreConformance("embedded with tiny segments", async (options) => {
  const dataDir = await freshDataDir();
  const open = (): Promise<Store> => openEmbeddedStore({ ...options, dataDir, resultHistory: CONFORMANCE_RESULT_HISTORY, resultHistoryRows: CONFORMANCE_RESULT_HISTORY_ROWS, resultRecentSeqs: CONFORMANCE_RESULT_RECENT_SEQS, segmentBytes: 60 });
  return { store: await open(), reopen: open, cleanup: () => rm(dataDir, { recursive: true, force: true }) };
});

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytes = (text: string): Uint8Array => encoder.encode(text);
const frame = (seq: number): ResultFrame => ({ seq, batchTime: seq * 1_000, window: null, rows: [{ seq }] });

describe("embedded store on disk", () => {
  let dataDir: string;
  let paths: DataPaths;
  let store: Store;
  const open = async (): Promise<Store> => {
    store = await openEmbeddedStore({ dataDir, resultHistory: CONFORMANCE_RESULT_HISTORY, resultHistoryRows: CONFORMANCE_RESULT_HISTORY_ROWS, resultRecentSeqs: CONFORMANCE_RESULT_RECENT_SEQS });
    return store;
  };
  const reopen = async (): Promise<Store> => {
    await store.close();
    return open();
  };
  const texts = async (stream: string, partition: number): Promise<string[]> =>
    (await store.streams.read({ stream, partition, from: 0, to: 1_000 })).map((block) => decoder.decode(block.payload));

  beforeEach(async () => {
    dataDir = await freshDataDir();
    paths = new DataPaths(dataDir);
    await open();
  });

  afterEach(async () => {
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("lays its files out as documented", async () => {
    await store.streams.append("clicks", 3, { count: 1, payload: bytes("a") });
    await store.batches.record({ jobId: "job-a", batchTime: 1_000, ranges: [] });
    await store.results.append("job-a", frame(1));
    await store.catalog.putStream({ name: "clicks", partitions: 4, createdAt: 1 });
    await store.checkpoints.save("job-a", 1_000, 0, bytes("state"));
    await store.checkpoints.complete("job-a", 1_000, 1);
    await store.close();
    expect((await stat(join(dataDir, "streams", "clicks", "3", "0.seg"))).size).toBe(25);
    expect(await readFile(join(dataDir, "batches", "job-a.jsonl"), "utf8")).toBe('{"jobId":"job-a","batchTime":1000,"ranges":[]}\n');
    expect(await readFile(join(dataDir, "results", "job-a.jsonl"), "utf8")).toBe(`${JSON.stringify(frame(1))}\n`);
    expect(JSON.parse(await readFile(join(dataDir, "catalog.json"), "utf8"))).toMatchObject({ version: 1, streams: [{ name: "clicks" }] });
    expect(await readdir(join(dataDir, "checkpoints", "job-a", "1000"))).toEqual(["0.snap", "complete.json"].sort());
  });

  describe("a torn tail left by a crash", () => {
    beforeEach(async () => {
      for (const text of ["b0", "b1", "b2"]) await store.streams.append("clicks", 0, { count: 1, payload: bytes(text) });
      await store.close();
    });

    it.each([
      ["half a frame", () => encodeBlockFrame(1, Date.now(), bytes("a block that never finished")).subarray(0, 30)],
      ["a header alone", () => encodeBlockFrame(5, Date.now(), bytes("lost")).subarray(0, 24)],
      ["a few stray bytes", () => Buffer.from([1, 2, 3])],
      ["garbage longer than a header", () => Buffer.from("this is not a frame at all, just noise from a crash")],
    ])("is ignored and cut away: %s", async (_what, tail) => {
      const file = paths.segment("clicks", 0, 0);
      const intactSize = (await stat(file)).size;
      await appendFile(file, tail());
      await open();
      expect(await store.streams.endOffset("clicks", 0)).toBe(3);
      expect(await texts("clicks", 0)).toEqual(["b0", "b1", "b2"]);
      expect((await stat(file)).size).toBe(intactSize);
      expect(await store.streams.append("clicks", 0, { count: 1, payload: bytes("b3") })).toEqual({ offset: 3, duplicate: false });
      await reopen();
      expect(await texts("clicks", 0)).toEqual(["b0", "b1", "b2", "b3"]);
    });

    it("drops a last frame whose checksum does not match", async () => {
      const file = paths.segment("clicks", 0, 0);
      const content = await readFile(file);
      const last = content.length - 1;
      content.writeUInt8(content.readUInt8(last) ^ 0xff, last); // the last payload byte, inverted
      await writeFile(file, content);
      await open();
      expect(await texts("clicks", 0)).toEqual(["b0", "b1"]);
      expect(await store.streams.append("clicks", 0, { count: 1, payload: bytes("new") })).toEqual({ offset: 2, duplicate: false });
    });
  });

  it("ignores a torn last line of the batch and result files", async () => {
    await store.batches.record({ jobId: "job-a", batchTime: 1_000, ranges: [] });
    for (const seq of [1, 2, 3]) await store.results.append("job-a", frame(seq));
    await store.close();
    await appendFile(paths.batchFile("job-a"), '{"jobId":"job-a","batchTime":2000,"ran');
    await appendFile(paths.resultFile("job-a"), '{"seq":4,"batchTime":4000,"window":null,"rows":[{"se');
    await open();
    expect((await store.batches.list("job-a", 0, 10)).map((each) => each.batchTime)).toEqual([1_000]);
    expect(await store.results.bounds("job-a")).toEqual({ first: 1, last: 3 });
    await store.results.append("job-a", frame(4));
    await store.batches.record({ jobId: "job-a", batchTime: 2_000, ranges: [] });
    await reopen();
    expect(await store.results.bounds("job-a")).toEqual({ first: 1, last: 4 });
    expect((await store.batches.list("job-a", 0, 10)).map((each) => each.batchTime)).toEqual([1_000, 2_000]);
  });

  it("compacts a result file to the retained frames", async () => {
    const history = CONFORMANCE_RESULT_HISTORY;
    for (let seq = 1; seq <= 10 * history; seq++) await store.results.append("job-a", frame(seq));
    await store.close();
    const lines = (await readFile(paths.resultFile("job-a"), "utf8")).trimEnd().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(history);
    expect(lines.length).toBeLessThanOrEqual(2 * history + 1);
    expect(JSON.parse(lines[lines.length - 1]!)).toEqual(frame(10 * history));
    await open();
    expect(await store.results.bounds("job-a")).toEqual({ first: 9 * history + 1, last: 10 * history });
  });

  it("never loads a half-written checkpoint temp file", async () => {
    await store.checkpoints.save("job-a", 1_000, 0, bytes("good"));
    await store.checkpoints.complete("job-a", 1_000, 1);
    await store.close();
    // What a crash in the middle of save() or complete() leaves behind: temp files, never renamed.
    const leftovers = [
      join(paths.checkpoint("job-a", 1_000), "0.snap.tmp-999-deadbeef"),
      join(paths.checkpoint("job-a", 2_000), "0.snap.tmp-999-cafebabe"),
      join(paths.checkpoint("job-a", 3_000), "complete.json.tmp-999-00000000"),
    ];
    await mkdir(paths.checkpoint("job-a", 2_000), { recursive: true });
    await mkdir(paths.checkpoint("job-a", 3_000), { recursive: true });
    await writeFile(paths.snapshot("job-a", 3_000, 0), "complete snapshot, marker never finished");
    for (const leftover of leftovers) await writeFile(leftover, "half a snapsh");

    await open();
    expect(decoder.decode(await store.checkpoints.load("job-a", 1_000, 0))).toBe("good");
    expect(await store.checkpoints.load("job-a", 2_000, 0)).toBeUndefined();
    expect(await store.checkpoints.listComplete("job-a")).toEqual([1_000]);
    for (const leftover of leftovers) await expect(stat(leftover)).rejects.toThrow(/ENOENT/);
  });

  it("does not count a completion marker whose snapshots are missing", async () => {
    await store.checkpoints.save("job-a", 1_000, 0, bytes("p0"));
    await store.checkpoints.save("job-a", 1_000, 1, bytes("p1"));
    await store.checkpoints.complete("job-a", 1_000, 2);
    await store.close();
    await rm(paths.snapshot("job-a", 1_000, 1));
    await open();
    expect(await store.checkpoints.listComplete("job-a")).toEqual([]);
  });

  it("refuses names that could leave the data directory", async () => {
    const evil = ["..", "../outside", "a/b", "a\\b", "", ".hidden", "x".repeat(65), "/etc"];
    for (const name of evil) {
      await expect(store.streams.append(name, 0, { count: 1, payload: bytes("x") })).rejects.toThrow(RangeError);
      await expect(store.streams.drop(name)).rejects.toThrow(RangeError);
      await expect(store.batches.record({ jobId: name, batchTime: 1, ranges: [] })).rejects.toThrow(RangeError);
      await expect(store.results.append(name, frame(1))).rejects.toThrow(RangeError);
      await expect(store.results.drop(name)).rejects.toThrow(RangeError);
      await expect(store.catalog.putStream({ name, partitions: 1, createdAt: 1 })).rejects.toThrow(RangeError);
      await expect(store.checkpoints.save(name, 1, 0, bytes("x"))).rejects.toThrow(RangeError);
      await expect(store.checkpoints.drop(name)).rejects.toThrow(RangeError);
    }
    await expect(store.streams.append("ok", -1, { count: 1, payload: bytes("x") })).rejects.toThrow(RangeError);
    await expect(store.streams.append("ok", 1.5, { count: 1, payload: bytes("x") })).rejects.toThrow(RangeError);
    await expect(store.checkpoints.save("ok", 1.5, 0, bytes("x"))).rejects.toThrow(RangeError);
    expect(await readdir(dirname(dataDir))).not.toContain("outside");
  });

  it("creates a missing data directory with its parents", async () => {
    const nested = join(dataDir, "deeper", "still");
    const other = await openEmbeddedStore({ dataDir: nested });
    await other.streams.append("clicks", 0, { count: 1, payload: bytes("x") });
    await other.ping();
    await other.close();
    expect((await stat(join(nested, "streams", "clicks", "0", "0.seg"))).isFile()).toBe(true);
  });

  it("rejects ping with StoreUnavailableError when the data directory is gone", async () => {
    await rm(dataDir, { recursive: true, force: true });
    await expect(store.ping()).rejects.toMatchObject({ name: "StoreUnavailableError" });
  });
});

describe("embedded store after its process is killed", () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await freshDataDir();
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it("keeps every acknowledged append (SIGKILL mid-write)", async () => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", fileURLToPath(new URL("./fixtures/append-until-killed.ts", import.meta.url)), dataDir],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const acked = new Map<number, number>();
    let lastFrame = 0;
    let acks = 0;
    let buffered = "";
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      child.on("error", reject);
      child.on("exit", (code) => reject(new Error(`child exited early with code ${code}`)));
      child.stdout.on("data", (chunk: Buffer) => {
        buffered += chunk.toString("utf8");
        const lines = buffered.split("\n");
        buffered = lines.pop() ?? "";
        for (const line of lines) {
          const [kind, a, b] = line.split(" ");
          if (kind === "ack") {
            acked.set(Number(a), Math.max(acked.get(Number(a)) ?? -1, Number(b)));
            acks++;
          } else if (kind === "frame") {
            lastFrame = Number(a);
          }
        }
        if (acks >= 2_000 && lastFrame >= 50) {
          child.kill("SIGKILL");
          resolve();
        }
      });
    });
    expect(await exited).toBe("SIGKILL");

    const store = await openEmbeddedStore({ dataDir });
    try {
      for (const [partition, offset] of acked) {
        const end = await store.streams.endOffset("killed", partition);
        expect(end).toBeGreaterThan(offset);
        const blocks = await store.streams.read({ stream: "killed", partition, from: 0, to: end });
        expect(blocks.map((block) => decoder.decode(block.payload))).toEqual(
          Array.from({ length: end }, (_, n) => `p${partition}-${n}`),
        );
      }
      const bounds = await store.results.bounds("killed-job");
      expect(bounds.last).toBeGreaterThanOrEqual(lastFrame);
      expect(await store.results.append("killed-job", frame(bounds.last + 1))).toBeUndefined();
    } finally {
      await store.close();
    }
  }, 30_000);
});
