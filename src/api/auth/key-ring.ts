/**
 * The API keys in force, reloaded without a restart: on SIGHUP and when API_KEYS_FILE changes. A
 * reload that fails (a bad line) keeps the previous keys and logs why; it never logs a key.
 */
import { readFileSync, unwatchFile, watchFile } from "node:fs";
import type { FastifyBaseLogger } from "fastify";
import { ApiKeys } from "./api-keys.js";

export class KeyRing {
  private current: ApiKeys;

  /** Throws (at start-up) when the keys cannot be read. */
  constructor(
    private readonly fromEnv: string | undefined,
    private readonly file: string | undefined,
  ) {
    this.current = this.load();
  }

  readonly keys = (): ApiKeys => this.current;

  reload(log: FastifyBaseLogger): void {
    try {
      this.current = this.load();
      log.info({ keys: this.current.size }, "API keys reloaded");
    } catch (error) {
      log.error({ reason: (error as Error).message }, "API keys not reloaded; the previous keys stay in force");
    }
  }

  /** Reloads on SIGHUP and on changes to the file; returns how to stop. */
  watch(log: FastifyBaseLogger): () => void {
    const onHangup = () => this.reload(log);
    process.on("SIGHUP", onHangup);
    const file = this.file;
    if (file) watchFile(file, { interval: 1000 }, () => this.reload(log));
    return () => {
      process.off("SIGHUP", onHangup);
      if (file) unwatchFile(file);
    };
  }

  private load(): ApiKeys {
    return ApiKeys.parse(this.fromEnv, this.file ? readFileSync(this.file, "utf8") : undefined);
  }
}
