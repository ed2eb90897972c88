/**
 * One process per data directory. The embedded store keeps every index in memory and cuts torn tails
 * when it loads, so a second process on the same files would both see stale data and damage what the
 * first is writing. The first process therefore holds `<dataDir>/tributary.lock`, a file naming it
 * (PID, host, boot, process start time); a second one reads it and refuses to start.
 *
 * Node has no flock(), so a holder that was SIGKILLed leaves its file behind. Such a lock is *stale*
 * and is taken over:
 *  - same host: when its PID is gone, or now belongs to a process that started at another time (a
 *    restarted container's server is PID 1 again), or the machine has rebooted since;
 *  - another host (a container with its own host name on a shared volume, whose PIDs mean nothing
 *    here): when the holder has stopped refreshing the file's mtime, which it does every
 *    {@link LOCK_REFRESH_MS}, for {@link FOREIGN_LOCK_STALE_MS}.
 *
 * Creating the file is atomic (written beside it, then hard-linked into place, which fails when it
 * exists), so a reader never sees half a lock. Taking over moves the stale file aside and checks that it
 * moved the very file it judged, giving it back otherwise.
 */
import { randomBytes } from "node:crypto";
import { link, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tempPathFor } from "./atomic-file.js";
import { isMissing } from "./list-directory.js";
import { isPidAlive, processStartTicks, thisHost, type HostIdentity } from "./process-identity.js";

/** How often the holder touches its lock file, so that processes on other hosts see it is alive. */
export const LOCK_REFRESH_MS = 10_000;
/** A lock from another host that has not been touched for this long is taken over. */
export const FOREIGN_LOCK_STALE_MS = 3 * LOCK_REFRESH_MS;

/** What a lock file says about the process holding it. */
export interface LockHolder {
  readonly pid: number;
  readonly hostname: string;
  readonly bootId?: string | undefined;
  /** See {@link processStartTicks}. */
  readonly startTicks?: string | undefined;
  /** ISO time the lock was taken. */
  readonly acquiredAt: string;
  /** Random, so a holder can tell its own file from a later holder's. */
  readonly token: string;
}

/** Another live process holds the data directory. */
export class DataDirectoryLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
    detail: string,
  ) {
    super(
      `the data directory ${dataDir} is in use by another Tributary process (pid ${holder.pid} on host ${holder.hostname}, ` +
        `since ${holder.acquiredAt}${detail}): stop that process, or start this one with another DATA_DIR. ` +
        "The embedded store serves one process; to run several Tributary nodes, use Redis (REDIS_URL)",
    );
    this.name = "DataDirectoryLockedError";
  }
}

/** Options of {@link DataDirLock.acquire}; the defaults are the constants above (tests shorten them). */
export interface DataDirLockOptions {
  readonly refreshMs?: number;
  readonly foreignStaleMs?: number;
}

/** Lock files this process holds: the fallback for telling "this process" where there is no /proc. */
const heldHere = new Set<string>();
/** Rounds of "refused, judged stale, moved aside" before giving up on a lock others keep retaking. */
const MAX_TAKEOVER_ROUNDS = 5;

export class DataDirLock {
  private released: Promise<void> | undefined;

  private constructor(
    readonly path: string,
    private readonly token: string,
    private readonly refresh: NodeJS.Timeout,
  ) {}

  /**
   * Takes the lock at `path` for the data directory `dataDir` (named in the error), taking over a stale
   * one. Throws {@link DataDirectoryLockedError} when a live process holds it.
   */
  static async acquire(dataDir: string, path: string, options: DataDirLockOptions = {}): Promise<DataDirLock> {
    const host = thisHost();
    const me: LockHolder = {
      pid: process.pid,
      hostname: host.hostname,
      bootId: host.bootId,
      startTicks: processStartTicks(process.pid),
      acquiredAt: new Date().toISOString(),
      token: randomBytes(8).toString("hex"),
    };
    const temp = tempPathFor(path);
    await writeFile(temp, `${JSON.stringify(me)}\n`, { flag: "wx" });
    try {
      for (let round = 1; ; round++) {
        try {
          await link(temp, path);
          break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        }
        const seen = await readLock(path);
        if (seen === undefined) continue; // released in between: try again
        const refusal = seen.holder === undefined ? undefined : whyRunning(seen.holder, seen.mtimeMs, host, path, options.foreignStaleMs ?? FOREIGN_LOCK_STALE_MS);
        if (refusal !== undefined) throw new DataDirectoryLockedError(dataDir, seen.holder!, refusal);
        if (round >= MAX_TAKEOVER_ROUNDS) throw new Error(`could not take over the stale lock ${path}: other processes keep taking it; start one Tributary at a time on ${dataDir}`);
        await removeIfUnchanged(path, seen.text);
      }
    } finally {
      await rm(temp, { force: true });
    }
    heldHere.add(path);
    const refresh = setInterval(() => {
      const now = new Date();
      utimes(path, now, now).catch(() => undefined);
    }, options.refreshMs ?? LOCK_REFRESH_MS);
    refresh.unref();
    return new DataDirLock(path, me.token, refresh);
  }

  /** Gives the lock up: removes the file unless another process has (wrongly) replaced it. */
  release(): Promise<void> {
    this.released ??= (async () => {
      clearInterval(this.refresh);
      heldHere.delete(this.path);
      const seen = await readLock(this.path);
      if (seen?.holder?.token === this.token) await rm(this.path, { force: true });
    })();
    return this.released;
  }
}

/** The lock file's text, what it says (undefined when it does not parse) and when it was last touched. */
async function readLock(path: string): Promise<{ text: string; holder: LockHolder | undefined; mtimeMs: number } | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(path, "utf8"), stat(path)]);
    return { text, holder: parseHolder(text), mtimeMs: info.mtimeMs };
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockHolder> | null;
    if (typeof value?.pid !== "number" || typeof value.hostname !== "string" || typeof value.token !== "string") return undefined;
    return { ...value, acquiredAt: String(value.acquiredAt) } as LockHolder;
  } catch {
    // A file that does not parse was not written by a live holder (those are linked in whole).
    return undefined;
  }
}

/**
 * Undefined when the holder is gone (its lock is stale); otherwise a few words for the error on why it
 * is taken to be running.
 */
function whyRunning(holder: LockHolder, mtimeMs: number, host: HostIdentity, path: string, foreignStaleMs: number): string | undefined {
  if (holder.hostname !== host.hostname) {
    const ageMs = Math.max(0, Date.now() - mtimeMs);
    if (ageMs >= foreignStaleMs) return undefined;
    return `; it refreshed the lock ${Math.round(ageMs / 1000)} s ago, and a lock from another host is taken over once ${Math.round(foreignStaleMs / 1000)} s pass without a refresh`;
  }
  if (holder.bootId !== undefined && host.bootId !== undefined && holder.bootId !== host.bootId) return undefined;
  if (!isPidAlive(holder.pid)) return undefined;
  const startTicks = processStartTicks(holder.pid);
  if (holder.startTicks !== undefined && startTicks !== undefined) {
    if (startTicks !== holder.startTicks) return undefined; // the PID now belongs to another process
  } else if (holder.pid === process.pid && !heldHere.has(path)) {
    return undefined; // our own PID, left by an earlier process (no start time to compare here)
  }
  return holder.pid === process.pid ? "; that is this very process, which opened the store already" : "";
}

/** Removes the stale lock file whose text was `staleText`, and only that one. */
async function removeIfUnchanged(path: string, staleText: string): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if (isMissing(error)) return; // someone else removed it first
    throw error;
  }
  const moved = await readFile(aside, "utf8").catch(() => undefined);
  if (moved !== staleText) {
    // Another process took the stale lock over between our read and our rename: give its lock back.
    await link(aside, path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw error;
    });
  }
  await rm(aside, { force: true });
}
