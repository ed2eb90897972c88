/**
 * Whole-file writes that are all-or-nothing: write a temporary file next to the target, fsync it,
 * rename it over the target, fsync the directory. A crash at any point leaves either the old file or
 * the new one, plus at worst a stray temporary file, which loaders recognise and delete.
 */
import { randomBytes } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname } from "node:path";

const TEMP_MARK = ".tmp-";

/** A fresh temporary path beside `path`. */
export function tempPathFor(path: string): string {
  return `${path}${TEMP_MARK}${process.pid}-${randomBytes(4).toString("hex")}`;
}

/** True for a file name made by {@link tempPathFor}: left over from an interrupted write. */
export function isTempName(name: string): boolean {
  return basename(name).includes(TEMP_MARK);
}

/** Replaces `path` with `bytes` atomically and durably. */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const temp = tempPathFor(path);
  try {
    const handle = await open(temp, "w");
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dirname(path));
}

/**
 * Makes a directory's entries (a created or renamed file) durable. Best effort: some platforms cannot
 * open a directory for fsync, and the data itself is already synced.
 */
export async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Not supported here (e.g. Windows); nothing more we can do.
  }
}
