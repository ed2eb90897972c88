import { FENCE_CHECK, type RedisScript } from "./redis-script.js";

/** Drops the descriptors older than a batch time, if the writer still holds the job's lease. */
export const trimBatches: RedisScript = {
  name: "tribTrimBatches",
  lua: `
--[[
  trim-batches: drop descriptors scored below a bound.

  KEYS[1] batches  zset: BatchDescriptor JSON scored by batch time
  KEYS[2] epoch    string: the job's lease epoch (the fence)

  ARGV[1] exclusive upper bound ("(<batchTime>", or "-inf"/"+inf")
  ARGV[2] the writer's epoch; empty: not checked

  Error "TRIB_FENCED <epoch>" when the writer's epoch is stale (nothing is changed).
  Returns the number of descriptors dropped.
]]
${FENCE_CHECK}return redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
`,
};
