/**
 * One append-only file with writes queued in call order. Appends that pile up while a write is in
 * flight go out together in the next write (group commit), so a busy partition costs one syscall per
 * group rather than per block, while each caller still learns the position of its own record.
 *
 * The object's idea of the file (`size` bytes, `records` records) is the truth: whenever it opens the
 * file it cuts it back to `size`, so a torn tail left by a crash or a failed write is gone before the
 * next record lands after it.
 */
import type { FileHandle } from "node:fs/promises";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { StoreUnavailableError } from "../types.js";
import { syncDirectory, tempPathFor } from "./atomic-file.js";

/** A whole new content for the file, built when its turn in the queue comes. */
export interface Replacement {
  readonly bytes: Uint8Array;
  readonly records: number;
}

interface AppendEntry {
  readonly kind: "append";
  readonly bytes: Uint8Array;
  /** Runs right after the bytes are written, before the next write: where callers update their index. */
  readonly commit: (record: number) => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

interface ReplaceEntry {
  readonly kind: "replace";
  readonly build: () => Replacement;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

type Entry = AppendEntry | ReplaceEntry;

/** Caps one group write, so a flood of appends cannot build one giant buffer. */
const MAX_GROUP_BYTES = 8 * 1024 * 1024;

/** Options of {@link AppendOnlyFile}. */
export interface AppendOnlyFileOptions {
  /** fdatasync after every write: survives power loss, at the cost of one disk flush per group. */
  readonly sync: boolean;
}

export class AppendOnlyFile {
  private handle: FileHandle | undefined;
  private readonly queue: Entry[] = [];
  private running = false;
  private readonly idleWaiters: (() => void)[] = [];
  private pendingAppends = 0;
  private closed = false;

  /**
   * @param path the file; created (with its directory) on the first write
   * @param size bytes of the file that hold intact records
   * @param records number of those records
   */
  constructor(
    readonly path: string,
    private size: number,
    private committed: number,
    private readonly options: AppendOnlyFileOptions,
  ) {}

  /** Records stored so far. */
  get records(): number {
    return this.committed;
  }

  /** Appends queued or in flight: they will become records records, records + 1, ... unless they fail. */
  get pending(): number {
    return this.pendingAppends;
  }

  /**
   * Appends one record. Resolves, once the bytes are written, with what `commit(record)` returns, where
   * `record` is the record's position in the file (0, 1, 2, ...). If a write fails, it and every
   * append queued behind it reject with StoreUnavailableError: later records must not land after a gap.
   */
  append<T>(bytes: Uint8Array, commit: (record: number) => T): Promise<T> {
    if (this.closed) return Promise.reject(new StoreUnavailableError(`${this.path} is closed`));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ kind: "append", bytes, commit, resolve: resolve as (value: unknown) => void, reject });
      this.pendingAppends++;
      this.kick();
    });
  }

  /** Replaces the whole file atomically (temp file + rename) in its turn among the appends. */
  replace(build: () => Replacement): Promise<void> {
    if (this.closed) return Promise.reject(new StoreUnavailableError(`${this.path} is closed`));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ kind: "replace", build, resolve, reject });
      this.kick();
    });
  }

  /** Refuses new writes, waits for the queued ones, and closes the file. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.running) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await this.closeHandle();
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    void this.drain();
  }

  private async drain(): Promise<void> {
    try {
      for (let head = this.queue[0]; head !== undefined; head = this.queue[0]) {
        if (head.kind === "replace") {
          this.queue.shift();
          await this.runReplace(head);
        } else {
          await this.runAppends(this.takeAppendGroup());
        }
      }
    } finally {
      this.running = false;
      for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  private takeAppendGroup(): AppendEntry[] {
    const group: AppendEntry[] = [];
    let bytes = 0;
    for (let head = this.queue[0]; head?.kind === "append"; head = this.queue[0]) {
      if (group.length > 0 && bytes + head.bytes.byteLength > MAX_GROUP_BYTES) break;
      group.push(head);
      bytes += head.bytes.byteLength;
      this.queue.shift();
    }
    return group;
  }

  private async runAppends(group: AppendEntry[]): Promise<void> {
    const bytes = group.length === 1 ? group[0]!.bytes : Buffer.concat(group.map((entry) => entry.bytes));
    try {
      const handle = await this.openHandle();
      await writeFully(handle, bytes);
      if (this.options.sync) await handle.datasync();
    } catch (error) {
      await this.fail(group, error);
      return;
    }
    this.size += bytes.byteLength;
    for (const entry of group) {
      this.pendingAppends--;
      const record = this.committed++;
      try {
        entry.resolve(entry.commit(record));
      } catch (error) {
        entry.reject(error);
      }
    }
  }

  private async fail(group: AppendEntry[], error: unknown): Promise<void> {
    const failure = new StoreUnavailableError(`cannot append to ${this.path}: ${describe(error)}`);
    const behind = this.queue.splice(0);
    this.pendingAppends = 0;
    for (const entry of [...group, ...behind]) entry.reject(failure);
    // Reopening cuts the file back to `size`, removing whatever part of the failed write got through.
    await this.closeHandle().catch(() => undefined);
  }

  private async runReplace(entry: ReplaceEntry): Promise<void> {
    const temp = tempPathFor(this.path);
    try {
      const { bytes, records } = entry.build();
      await mkdir(dirname(this.path), { recursive: true });
      const handle = await open(temp, "w");
      try {
        await writeFully(handle, bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.path);
      await syncDirectory(dirname(this.path));
      // The old handle still points at the replaced file; the next append opens the new one.
      await this.closeHandle().catch(() => undefined);
      this.size = bytes.byteLength;
      this.committed = records;
      entry.resolve();
    } catch (error) {
      await rm(temp, { force: true }).catch(() => undefined);
      entry.reject(error);
    }
  }

  private async openHandle(): Promise<FileHandle> {
    if (this.handle !== undefined) return this.handle;
    const dir = dirname(this.path);
    await mkdir(dir, { recursive: true });
    const handle = await open(this.path, "a");
    try {
      const { size } = await handle.stat();
      if (size < this.size) {
        throw new Error(`the file holds ${size} bytes but ${this.size} were written: it was changed outside the store`);
      }
      if (size > this.size) await handle.truncate(this.size);
      if (this.options.sync && size === 0) await syncDirectory(dir);
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
    this.handle = handle;
    return handle;
  }

  private async closeHandle(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    if (handle !== undefined) await handle.close();
  }
}

async function writeFully(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, written, bytes.byteLength - written, null);
    if (bytesWritten <= 0) throw new Error("the file system accepted no bytes");
    written += bytesWritten;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
