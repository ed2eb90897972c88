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

/**
 * The first lines of every fenced script: its last key is the job's epoch, its last argument the
 * writer's epoch ('' for a write that is not checked). A stale epoch is refused before anything is
 * changed, with "TRIB_FENCED <current epoch>".
 */
export const FENCE_CHECK = `
local fenceEpoch = ARGV[#ARGV]
if fenceEpoch ~= '' then
  local currentEpoch = redis.call('GET', KEYS[#KEYS]) or '0'
  if currentEpoch ~= fenceEpoch then
    return redis.error_reply('TRIB_FENCED ' .. currentEpoch)
  end
end
`;
