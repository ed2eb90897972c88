/**
 * The embedded catalogue: every stream and job in one JSON file, rewritten atomically on each change
 * (the catalogue is small and changes rarely). Changes are applied to a copy, saved, and only then made
 * visible, one at a time.
 */
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { assertName } from "../contract.js";
import { CatalogIndex, type CatalogSnapshot } from "../memory/catalog-index.js";
import { StoreUnavailableError, type Catalog, type JobRecord, type StreamDefinition } from "../types.js";
import { isTempName, writeFileAtomic } from "./atomic-file.js";
import type { DataPaths } from "./data-paths.js";
import { isMissing, listDirectory } from "./list-directory.js";
import { KeyedQueue } from "./keyed-queue.js";

/** Bumped when the file's shape changes, so an old binary can refuse a newer file. */
const CATALOG_VERSION = 1;

interface CatalogFile extends CatalogSnapshot {
  readonly version: number;
}

export class EmbeddedCatalog implements Catalog {
  private readonly changes = new KeyedQueue();
  private closed = false;

  private constructor(
    private readonly path: string,
    private index: CatalogIndex,
  ) {}

  static async load(paths: DataPaths): Promise<EmbeddedCatalog> {
    const path = paths.catalog();
    for (const name of await listDirectory(paths.root)) {
      if (isTempName(name) && name.startsWith("catalog.json")) await rm(join(paths.root, name), { force: true });
    }
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if (isMissing(error)) return new EmbeddedCatalog(path, new CatalogIndex());
      throw error;
    }
    // Written only by atomic rename, so a file that does not parse is real damage: refuse to start
    // rather than run on with an empty catalogue.
    const file = JSON.parse(text) as Partial<CatalogFile>;
    if (file.version !== CATALOG_VERSION || !Array.isArray(file.streams) || !Array.isArray(file.jobs)) {
      throw new Error(`${path} is not a version ${CATALOG_VERSION} catalogue file`);
    }
    return new EmbeddedCatalog(path, CatalogIndex.fromSnapshot({ streams: file.streams, jobs: file.jobs }));
  }

  async createStream(stream: StreamDefinition): Promise<boolean> {
    assertName("stream", stream.name);
    return this.claim((next) => next.streams, stream.name, stream);
  }

  async putStream(stream: StreamDefinition): Promise<void> {
    assertName("stream", stream.name);
    await this.change((next) => next.streams.set(stream.name, stream));
  }

  async getStream(name: string): Promise<StreamDefinition | undefined> {
    return this.index.streams.get(name);
  }

  async listStreams(): Promise<StreamDefinition[]> {
    return this.index.listStreams();
  }

  deleteStream(name: string): Promise<void> {
    return this.change((next) => next.streams.delete(name));
  }

  async createJob(job: JobRecord): Promise<boolean> {
    assertName("job", job.id);
    return this.claim((next) => next.jobs, job.id, job);
  }

  async putJob(job: JobRecord): Promise<void> {
    assertName("job", job.id);
    await this.change((next) => next.jobs.set(job.id, job));
  }

  async getJob(id: string): Promise<JobRecord | undefined> {
    return this.index.jobs.get(id);
  }

  async listJobs(): Promise<JobRecord[]> {
    return this.index.listJobs();
  }

  deleteJob(id: string): Promise<void> {
    return this.change((next) => next.jobs.delete(id));
  }

  /** Refuses new changes and waits for the queued ones. */
  async close(): Promise<void> {
    this.closed = true;
    await this.changes.idle();
  }

  /**
   * Sets `name` in one of the catalogue's maps unless it is there. Changes run one at a time, so the
   * check sees every earlier change and no later one.
   */
  private async claim<T>(entries: (next: CatalogIndex) => Map<string, T>, name: string, value: T): Promise<boolean> {
    let claimed = false;
    await this.change((next) => {
      const map = entries(next);
      if (map.has(name)) return false;
      map.set(name, value);
      claimed = true;
      return true;
    });
    return claimed;
  }

  /** Applies `edit` to a copy; saves and publishes it unless `edit` reports that nothing changed. */
  private async change(edit: (next: CatalogIndex) => unknown): Promise<void> {
    if (this.closed) throw new StoreUnavailableError("the embedded store is closed");
    await this.changes.run("catalog", async () => {
      const next = this.index.clone();
      if (edit(next) === false) return; // Map.delete of a missing entry: no need to rewrite the file
      const file: CatalogFile = { version: CATALOG_VERSION, ...next.toSnapshot() };
      try {
        await writeFileAtomic(this.path, Buffer.from(`${JSON.stringify(file, null, 2)}\n`, "utf8"));
      } catch (error) {
        throw new StoreUnavailableError(`cannot save the catalogue: ${error instanceof Error ? error.message : String(error)}`);
      }
      this.index = next;
    });
  }
}
