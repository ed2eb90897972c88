/**
 * How far an acknowledged write is from the disk. Redis answers a write once it is in its append-only
 * file's buffer; only `appendfsync always` fsyncs before answering. Under `everysec` a Redis crash can
 * lose about the last second of writes that were already answered. On Redis 7.2 or newer, WAITAOF
 * closes that gap: the store waits until the file is fsynced before it reports a write done, so
 * ingest answers 202 (and a frame is sent to subscribers) only for what is on disk. REDIS_WAIT_FSYNC
 * picks when: `auto` (when it is needed and Redis has it), `always` (or refuse with 503), `never`.
 */
import type { Redis } from "ioredis";
import { StoreUnavailableError } from "../types.js";
import { everyServer, serverAddress, type RedisClient } from "./redis-connection.js";
import { storeError } from "./redis-errors.js";

/** When writes wait for the append-only file's fsync (REDIS_WAIT_FSYNC). */
export type WaitFsync = "auto" | "always" | "never";

/** What Redis says about itself; undefined where it would not say (CONFIG denied by an ACL). */
export interface AofSettings {
  readonly version?: string;
  readonly appendonly?: string;
  readonly appendfsync?: string;
  /** Why CONFIG GET could not be read, when it could not. */
  readonly configDenied?: string;
}

/** What the store does about fsync, and what to tell the operator at start-up. */
export interface FsyncPolicy {
  readonly waits: boolean;
  readonly warning?: string;
}

const LOSS =
  "a Redis crash can lose up to about a second of events already acknowledged with 202, and a result frame subscribers already saw can come back different under the same seq";

/** WAITAOF came with Redis 7.2. */
export function hasWaitAof(version: string | undefined): boolean {
  const [major, minor] = (version ?? "").split(".").map(Number);
  if (major === undefined || !Number.isFinite(major)) return false;
  return major > 7 || (major === 7 && (minor ?? 0) >= 2);
}

export function fsyncPolicy(mode: WaitFsync, settings: AofSettings): FsyncPolicy {
  const { version, appendonly, appendfsync } = settings;
  const redis = `Redis ${version ?? "(version unknown)"}`;
  if (mode === "always") {
    if (version !== undefined && !hasWaitAof(version)) {
      return { waits: true, warning: `REDIS_WAIT_FSYNC=always needs WAITAOF, which came with Redis 7.2; ${redis} has none, so every ingest is answered 503. Upgrade Redis, or set appendfsync "always" and REDIS_WAIT_FSYNC=never.` };
    }
    if (appendonly !== undefined && appendonly !== "yes") {
      return { waits: true, warning: `REDIS_WAIT_FSYNC=always needs appendonly "yes" (there is no append-only file to fsync), so every ingest is answered 503. Set appendonly to "yes".` };
    }
    return { waits: true };
  }
  if (appendonly !== undefined && appendonly !== "yes") return { waits: false }; // the appendonly warning says it all
  if (appendfsync === "always") return { waits: false }; // Redis fsyncs each write before answering it
  if (mode === "auto" && hasWaitAof(version) && appendonly === "yes") return { waits: true };
  if (appendfsync === undefined) {
    return {
      waits: false,
      warning: `cannot check the Redis setting appendfsync (${settings.configDenied ?? "Redis did not report it"}); make sure it is "always", otherwise ${LOSS}`,
    };
  }
  const why = mode === "never" ? "REDIS_WAIT_FSYNC=never" : hasWaitAof(version) ? "appendonly could not be checked" : `${redis} has no WAITAOF (Redis 7.2 or newer)`;
  return {
    waits: false,
    warning: `Redis runs with appendfsync "${appendfsync}" and Tributary does not wait for the fsync (${why}): ${LOSS}. Set appendfsync to "always", or run Redis 7.2 or newer with REDIS_WAIT_FSYNC=auto.`,
  };
}

/**
 * Reads the version (INFO server) and the append-only settings (CONFIG GET, which may be denied); of a
 * cluster, of every master, keeping the least safe answer of each (see {@link leastSafe}).
 */
export async function readAofSettings(client: RedisClient): Promise<AofSettings> {
  const servers = everyServer(client);
  const each = await Promise.all(servers.map(readServerSettings));
  return servers.length === 1 ? each[0]! : leastSafe(each, servers.map(serverAddress));
}

/**
 * One master's settings standing for a cluster's: the oldest version, appendonly and appendfsync as the
 * first master that differs from "yes" and "always" has them, and any refusal to say.
 */
export function leastSafe(settings: readonly AofSettings[], addresses: readonly string[]): AofSettings {
  const versions = settings.map((s) => s.version);
  const oldest = versions.includes(undefined) ? undefined : (versions as string[]).reduce((a, b) => (compareVersions(a, b) <= 0 ? a : b));
  const worst = (key: "appendonly" | "appendfsync", safe: string): string | undefined => {
    if (settings.some((s) => s[key] === undefined)) return undefined;
    return settings.find((s) => s[key] !== safe)?.[key] ?? safe;
  };
  const denied = settings.flatMap((s, i) => (s.configDenied === undefined ? [] : [`${addresses[i]}: ${s.configDenied}`]));
  return { ...(oldest === undefined ? {} : { version: oldest }), ...defined("appendonly", worst("appendonly", "yes")), ...defined("appendfsync", worst("appendfsync", "always")), ...(denied.length === 0 ? {} : { configDenied: denied.join("; ") }) };
}

function compareVersions(a: string, b: string): number {
  const [x, y] = [a.split(".").map(Number), b.split(".").map(Number)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

async function readServerSettings(redis: Redis): Promise<AofSettings> {
  const version = await readVersion(redis);
  const read = async (parameter: string): Promise<string | undefined> => {
    const reply = (await redis.config("GET", parameter)) as unknown;
    return Array.isArray(reply) && reply[1] !== undefined ? String(reply[1]) : undefined;
  };
  try {
    return { ...(version === undefined ? {} : { version }), ...defined("appendonly", await read("appendonly")), ...defined("appendfsync", await read("appendfsync")) };
  } catch (error) {
    const failure = storeError("read its settings", error);
    if (failure instanceof StoreUnavailableError) throw failure;
    return { ...(version === undefined ? {} : { version }), configDenied: `CONFIG GET is not allowed: ${failure.message}` };
  }
}

/** From INFO server; undefined when INFO is denied. Rejects only when Redis cannot be reached. */
async function readVersion(redis: Redis): Promise<string | undefined> {
  try {
    return /^redis_version:(\S+)/m.exec(await redis.info("server"))?.[1];
  } catch (error) {
    const failure = storeError("report its version", error);
    if (failure instanceof StoreUnavailableError) throw failure;
    return undefined;
  }
}

function defined<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

/**
 * Waits for the append-only file's fsync after writes, one WAITAOF for every write answered in the
 * same turn of the event loop (a group commit). WAITAOF covers the writes this connection sent before
 * it; each one is sent after the replies of the writes it confirms arrived, so it comes after them.
 * On a cluster each master's connection carries the writes of its slots, so every master is asked
 * (one that got none of the writes answers at once).
 */
export class AofFsync {
  private next: Promise<void> | undefined;

  constructor(
    private readonly client: RedisClient,
    private readonly timeoutMs: number,
    private readonly version: string | undefined,
  ) {}

  /** Resolves once every write whose reply has arrived is fsynced; StoreUnavailableError otherwise. */
  afterWrite(): Promise<void> {
    return (this.next ??= Promise.resolve().then(() => {
      this.next = undefined;
      return this.waitAof();
    }));
  }

  private waitMs(): number {
    return Math.max(1, Math.floor(this.timeoutMs * 0.8));
  }

  private async waitAof(): Promise<void> {
    let servers: Redis[];
    try {
      servers = everyServer(this.client);
    } catch (error) {
      throw storeError("confirm that the write reached its disk", error);
    }
    await Promise.all(servers.map((server) => this.waitAofOn(server)));
  }

  private async waitAofOn(redis: Redis): Promise<void> {
    let reply: unknown;
    try {
      // Redis gives up a little before the client would, so that its answer (0 fsynced) says why.
      reply = await redis.call("WAITAOF", "1", "0", String(this.waitMs()));
    } catch (error) {
      if (error instanceof Error && error.name === "ReplyError") {
        const needs = hasWaitAof(this.version) ? "appendonly yes" : `Redis 7.2 or newer (this is Redis ${this.version ?? "of unknown version"})`;
        throw new StoreUnavailableError(`Redis cannot confirm that the write reached its disk: WAITAOF failed (${error.message}); REDIS_WAIT_FSYNC needs ${needs}`);
      }
      throw storeError("confirm that the write reached its disk", error);
    }
    const local = Array.isArray(reply) ? Number(reply[0]) : 0;
    if (!(local >= 1)) throw new StoreUnavailableError(`Redis did not fsync its append-only file within ${this.waitMs()} ms (WAITAOF), so the write is not acknowledged`);
  }
}
