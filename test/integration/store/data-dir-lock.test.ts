/**
 * One process per data directory: the embedded store refuses a data directory another live process
 * holds (naming the directory, the holder's PID and what to do), takes over the lock of a process that
 * died, and gives its lock back on close.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DataDirectoryLockedError, FOREIGN_LOCK_STALE_MS, type LockHolder } from "../../../src/store/embedded/data-dir-lock.js";
import { openEmbeddedStore } from "../../../src/store/embedded/open-embedded-store.js";
import { processStartTicks, thisHost } from "../../../src/store/embedded/process-identity.js";
import type { Store } from "../../../src/store/types.js";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const hasProc = existsSync("/proc/self/stat");

let dataDir: string;
let lockFile: string;
const children: ChildProcess[] = [];
const stores: Store[] = [];
const otherDirs: string[] = [];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "tributary-lock-"));
  lockFile = join(dataDir, "tributary.lock");
});

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  for (const store of stores.splice(0)) await store.close();
  for (const dir of [dataDir, ...otherDirs.splice(0)]) await rm(dir, { recursive: true, force: true });
});

async function open(): Promise<Store> {
  const store = await openEmbeddedStore({ dataDir });
  stores.push(store);
  return store;
}

const lockHolder = async (): Promise<LockHolder> => JSON.parse(await readFile(lockFile, "utf8")) as LockHolder;

/** A lock file as another process would have left it (this host unless told). */
async function writeLock(holder: Partial<LockHolder> & { pid: number }): Promise<void> {
  const host = thisHost();
  const full: LockHolder = { hostname: host.hostname, bootId: host.bootId, acquiredAt: "2026-01-01T00:00:00.000Z", token: "left-behind", ...holder };
  await writeFile(lockFile, JSON.stringify(full));
}

/** A child process holding the store open on `dir`, once it says it is ready. */
async function holder(dir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./fixtures/hold-data-dir.ts", import.meta.url)), dir], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  await new Promise<void>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`holder exited with ${code}: ${output}`)));
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("ready\n")) resolve();
    });
  });
  return child;
}

/** The PID of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.on("exit", resolve));
  return child.pid!;
}

async function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((resolve) => child.once("exit", resolve));
}

describe("the data directory lock", () => {
  it("refuses a second open in the same process, naming the directory and this PID; the first keeps working", async () => {
    const first = await open();
    const refusal = await openEmbeddedStore({ dataDir }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(DataDirectoryLockedError);
    const message = (refusal as Error).message;
    expect(message).toContain(dataDir);
    expect(message).toContain(`pid ${process.pid}`);
    expect(message).toContain("another DATA_DIR");
    expect((await lockHolder()).pid).toBe(process.pid);
    expect((await first.streams.append("clicks", 0, { count: 1, payload: bytes("x") })).offset).toBe(0);
  });

  it("gives the lock back on close: the file is gone and the directory opens again", async () => {
    const first = await open();
    await first.close();
    await expect(stat(lockFile)).rejects.toMatchObject({ code: "ENOENT" });
    const second = await open();
    expect((await lockHolder()).pid).toBe(process.pid);
    await second.close();
    expect(await readdir(dataDir)).not.toContain("tributary.lock");
  });

  it("refuses a directory held by another live process, and takes it over once that process is SIGKILLed", async () => {
    const child = await holder(dataDir);
    expect((await lockHolder()).pid).toBe(child.pid);
    const refusal = await openEmbeddedStore({ dataDir }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(DataDirectoryLockedError);
    expect((refusal as Error).message).toContain(`pid ${child.pid}`);
    expect((refusal as Error).message).toContain(dataDir);

    child.kill("SIGKILL");
    await exitOf(child);
    // Its lock file stays behind, naming a PID that no longer runs.
    expect((await lockHolder()).pid).toBe(child.pid);
    await open();
    expect((await lockHolder()).pid).toBe(process.pid);
  });

  it("lets a holder stopped cleanly give the directory to the next process", async () => {
    const child = await holder(dataDir);
    child.kill("SIGTERM");
    await exitOf(child);
    expect(child.exitCode).toBe(0);
    await expect(stat(lockFile)).rejects.toMatchObject({ code: "ENOENT" });
    await open();
  });

  it("takes over the lock of a dead PID", async () => {
    const pid = await deadPid();
    await writeLock({ pid, startTicks: processStartTicks(process.pid) });
    await open();
    const now = await lockHolder();
    expect(now.pid).toBe(process.pid);
    expect(now.token).not.toBe("left-behind");
  });

  it.runIf(hasProc)("takes over a lock whose PID now belongs to a process started at another time (PID 1 in a restarted container)", async () => {
    // This very process's PID, but not its start time: an earlier server that had the same PID.
    await writeLock({ pid: process.pid, startTicks: "1" });
    await open();
    expect((await lockHolder()).token).not.toBe("left-behind");
  });

  it.runIf(hasProc)("takes over a lock written before the machine rebooted", async () => {
    const otherDir = await mkdtemp(join(tmpdir(), "tributary-lock-other-"));
    otherDirs.push(otherDir);
    const child = await holder(otherDir);
    await writeLock({ pid: child.pid!, startTicks: processStartTicks(child.pid!), bootId: "an-earlier-boot" });
    await open();
    expect((await lockHolder()).pid).toBe(process.pid);
  });

  it("takes over a lock file that does not parse", async () => {
    await writeFile(lockFile, "");
    await open();
    expect((await lockHolder()).pid).toBe(process.pid);
  });

  it("refuses a lock another host refreshed recently, and takes it over once it is older than the stale bound", async () => {
    await writeLock({ pid: 1, hostname: "another-host" });
    const refusal = await openEmbeddedStore({ dataDir }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(DataDirectoryLockedError);
    expect((refusal as Error).message).toContain("another-host");
    expect((refusal as Error).message).toContain("another DATA_DIR");

    const old = new Date(Date.now() - FOREIGN_LOCK_STALE_MS - 5_000);
    await utimes(lockFile, old, old);
    await open();
    expect((await lockHolder()).hostname).toBe(thisHost().hostname);
  });

  it("keeps refreshing its lock file, so other hosts see it is alive", async () => {
    const store = await openEmbeddedStore({ dataDir, lock: { refreshMs: 50 } });
    stores.push(store);
    const old = new Date(Date.now() - 3_600_000);
    await utimes(lockFile, old, old);
    for (let i = 0; (await stat(lockFile)).mtimeMs <= old.getTime() + 1_000; i++) {
      if (i > 2_000) throw new Error("the lock file was never refreshed");
      await new Promise((r) => setTimeout(r, 20));
    }
  });
});
