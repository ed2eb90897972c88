/** Directory listing for loaders, where a directory that does not exist yet simply holds nothing. */
import { readdir } from "node:fs/promises";

/** Names in `dir`; [] when it does not exist. */
export async function listDirectory(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
}

/** True for the error of a file or directory that does not exist. */
export function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
}
