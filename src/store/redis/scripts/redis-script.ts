/**
 * The shape of every Lua script of the Redis store. One script per file, each opening with a header
 * that lists its KEYS, ARGV and replies; the Lua text lives in a TypeScript string so that `tsc` ships
 * it with the build (a .lua file would not be copied to dist/).
 */

/** One Lua script, registered with ioredis `defineCommand` under `name` (keys counted per call). */
export interface RedisScript {
  readonly name: string;
  readonly lua: string;
}

/** Prefix of the errors scripts raise on purpose; anything after it is for the caller to interpret. */
export const SCRIPT_ERROR_PREFIX = "TRIB_";
