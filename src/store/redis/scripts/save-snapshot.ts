import { FENCE_CHECK, type RedisScript } from "./redis-script.js";

/** Saves one partition's state snapshot, if the writer still holds the job's lease. */
export const saveSnapshot: RedisScript = {
  name: "tribSaveSnapshot",
  lua: `
--[[
  save-snapshot: store one partition's state at one batch time.

  KEYS[1] snapshots  hash: "<batchTime>:<partition>" -> state bytes
  KEYS[2] epoch      string: the job's lease epoch (the fence)

  ARGV[1] field "<batchTime>:<partition>"
  ARGV[2] state bytes
  ARGV[3] the writer's epoch; empty: not checked

  Error "TRIB_FENCED <epoch>" when the writer's epoch is stale (nothing is changed).
  Returns 1.
]]
${FENCE_CHECK}redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`,
};
