/**
 * The embedded store: everything in files under one data directory, every index also in memory so
 * reads are served without touching the disk. Survives a restart or a killed process: whatever a
 * resolved promise acknowledged is on disk (in the OS page cache at least, see `sync`), and loading
 * cuts away any torn tail a crash left behind. One process per data directory: opening takes the
 * directory's lock (data-dir-lock.ts) before reading anything, and closing gives it back.
 */
import { randomBytes } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { assertRetention, DEFAULT_IDEMPOTENCY_RETENTION_MS } from "../contract.js";
import { fencedLocally, LocalLeases } from "../memory/local-leases.js";
import { ResultIndex } from "../memory/result-index.js";
import { StoreUnavailableError, type Store } from "../types.js";
import { EmbeddedBatchLog } from "./batch-log.js";
import { EmbeddedCatalog } from "./catalog.js";
import { EmbeddedCheckpointStore } from "./checkpoint-store.js";
import { DataDirLock, type DataDirLockOptions } from "./data-dir-lock.js";
import { DataPaths } from "./data-paths.js";
import { EmbeddedResultLog } from "./result-log.js";
import { EmbeddedStreamLog } from "./stream-log.js";

/** Options of {@link openEmbeddedStore}. */
export interface EmbeddedStoreOptions {
  /** Directory holding every file of the store; created (with its parents) when missing. */
  readonly dataDir: string;
  /** Result frames kept per job (default 10 000). */
  readonly resultHistory?: number;
  /** Rows kept per job over its result frames (default 1 000 000; the newest frame is always kept). */
  readonly resultHistoryRows?: number;
  /** Result frames kept per job no longer than this many ms of batch time before its newest frame (default: no age bound). */
  readonly resultHistoryAgeMs?: number;
  /** Frames without rows are kept while among this many newest seqs (default 1 000); they take no room in the history. */
  readonly resultRecentSeqs?: number;
  /**
   * fdatasync every append (stream, batch and result logs) before acknowledging it. Off by default:
   * acknowledged writes then survive a killed process but not a power cut or kernel crash. Catalogue
   * and checkpoint files are always synced.
   */
  readonly sync?: boolean;
  /** How long a block's requestId dedupes a repeated append, in ms (default 24 h). */
  readonly idempotencyRetentionMs?: number;
  /**
   * Bytes a stream partition's segment file takes before the next one begins (default 16 MiB). Trims
   * free disk a whole segment at a time, so this bounds the space held by blocks already trimmed.
   */
  readonly segmentBytes?: number;
  /** How the data directory's lock is kept (tests shorten its intervals). */
  readonly lock?: DataDirLockOptions;
}

/** Segment size when not told otherwise. */
export const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;

/** Opens (or creates) the embedded store in `dataDir`, loading everything stored there into memory. */
export async function openEmbeddedStore(options: EmbeddedStoreOptions): Promise<Store> {
  const paths = new DataPaths(options.dataDir);
  const history = new ResultIndex(options);
  const fileOptions = { sync: options.sync ?? false };
  const idempotencyRetentionMs = options.idempotencyRetentionMs ?? DEFAULT_IDEMPOTENCY_RETENTION_MS;
  assertRetention(idempotencyRetentionMs);
  const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
  if (!Number.isSafeInteger(segmentBytes) || segmentBytes < 1) throw new RangeError(`segmentBytes must be a positive integer, got ${segmentBytes}`);
  await mkdir(paths.root, { recursive: true });
  // Before loading: loading cuts torn tails, which would damage the files of a process still writing them.
  const lock = await DataDirLock.acquire(paths.root, paths.lock(), options.lock);

  let loaded;
  try {
    loaded = await Promise.all([
      EmbeddedStreamLog.load(paths, { ...fileOptions, idempotencyRetentionMs, segmentBytes }),
      EmbeddedBatchLog.load(paths, fileOptions),
      EmbeddedResultLog.load(paths, history, fileOptions),
      EmbeddedCatalog.load(paths),
      EmbeddedCheckpointStore.load(paths),
    ]);
  } catch (error) {
    await lock.release();
    throw error;
  }
  const [streams, batches, results, catalog, checkpoints] = loaded;

  let closing: Promise<void> | undefined;
  // One process per data directory, so leases and fences are held in this process.
  const leases = new LocalLeases();

  return {
    kind: "embedded",
    streams,
    ...fencedLocally(leases, { batches, results, checkpoints }),
    catalog,
    leases,
    members: leases,

    async ping() {
      if (closing !== undefined) throw new StoreUnavailableError("the embedded store is closed");
      // A real write, so a full disk or a read-only remount shows up here rather than on the next ingest.
      const probe = join(paths.root, `.ping-${randomBytes(4).toString("hex")}`);
      try {
        await writeFile(probe, "ok");
        await rm(probe, { force: true });
      } catch (error) {
        throw new StoreUnavailableError(
          `the data directory ${paths.root} is not writable: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    },

    close() {
      closing ??= Promise.all([streams.close(), batches.close(), results.close(), catalog.close(), checkpoints.close()])
        .finally(() => lock.release())
        .then(() => undefined);
      return closing;
    },
  };
}
