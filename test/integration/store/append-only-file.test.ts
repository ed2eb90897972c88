/**
 * The embedded store's append-only file on its own: group writes in call order, a torn tail cut before
 * the next record, and recovery after a failed write.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AppendOnlyFile } from "../../../src/store/embedded/append-only-file.js";

const line = (text: string): Buffer => Buffer.from(`${text}\n`);

describe("AppendOnlyFile", () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "tributary-aof-"));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes concurrent appends in call order and numbers them from the records already there", async () => {
    const path = join(dir, "nested", "log");
    const file = new AppendOnlyFile(path, 0, 0, { sync: false });
    const records = await Promise.all(Array.from({ length: 100 }, (_, i) => file.append(line(`r${i}`), (record) => record)));
    expect(records).toEqual(Array.from({ length: 100 }, (_, i) => i));
    await file.close();
    expect(await readFile(path, "utf8")).toBe(Array.from({ length: 100 }, (_, i) => `r${i}\n`).join(""));
    const reopened = new AppendOnlyFile(path, (await readFile(path)).length, 100, { sync: false });
    expect(await reopened.append(line("next"), (record) => record)).toBe(100);
    await reopened.close();
  });

  it("cuts the file back to the size it was told before appending", async () => {
    const path = join(dir, "log");
    await writeFile(path, "good\ntorn garb");
    const file = new AppendOnlyFile(path, 5, 1, { sync: false });
    await file.append(line("next"), () => undefined);
    await file.close();
    expect(await readFile(path, "utf8")).toBe("good\nnext\n");
  });

  it("refuses a file shorter than it was told, rather than pad it with zeros", async () => {
    const path = join(dir, "log");
    await writeFile(path, "ab");
    const file = new AppendOnlyFile(path, 10, 2, { sync: false });
    await expect(file.append(line("x"), () => undefined)).rejects.toMatchObject({ name: "StoreUnavailableError" });
    await file.close();
  });

  it("fails a write and everything queued behind it, then recovers", async () => {
    const blocker = join(dir, "blocked");
    await writeFile(blocker, "a file where the directory should be");
    const file = new AppendOnlyFile(join(blocker, "log"), 0, 0, { sync: false });
    const attempts = [file.append(line("a"), (r) => r), file.append(line("b"), (r) => r), file.append(line("c"), (r) => r)];
    for (const attempt of attempts) await expect(attempt).rejects.toMatchObject({ name: "StoreUnavailableError" });
    expect(file.pending).toBe(0);
    await rm(blocker);
    expect(await file.append(line("d"), (r) => r)).toBe(0);
    await file.close();
    expect(await readFile(join(blocker, "log"), "utf8")).toBe("d\n");
  });

  it("replaces the whole file in its turn among appends", async () => {
    const path = join(dir, "log");
    const file = new AppendOnlyFile(path, 0, 0, { sync: false });
    const first = file.append(line("1"), (r) => r);
    const replaced = file.replace(() => ({ bytes: line("compacted"), records: 1 }));
    const after = file.append(line("2"), (r) => r);
    expect(await Promise.all([first, replaced, after])).toEqual([0, undefined, 1]);
    await file.close();
    expect(await readFile(path, "utf8")).toBe("compacted\n2\n");
  });

  it("refuses appends after close but finishes those queued before", async () => {
    const path = join(dir, "log");
    const file = new AppendOnlyFile(path, 0, 0, { sync: false });
    const queued = file.append(line("in time"), (r) => r);
    const closed = file.close();
    await expect(file.append(line("late"), (r) => r)).rejects.toMatchObject({ name: "StoreUnavailableError" });
    expect(await queued).toBe(0);
    await closed;
    expect(await readFile(path, "utf8")).toBe("in time\n");
  });
});
