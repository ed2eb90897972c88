import { FENCE_CHECK, type RedisScript } from "./redis-script.js";

/** Records a batch descriptor, replacing one recorded before for the same batch time. */
export const recordBatch: RedisScript = {
  name: "tribRecordBatch",
  lua: `
--[[
  record-batch: replace whatever descriptor the batch time had with the new one.

  KEYS[1] batches  zset: BatchDescriptor JSON scored by batch time
  KEYS[2] epoch    string: the job's lease epoch (the fence)

  ARGV[1] batch time
  ARGV[2] descriptor JSON
  ARGV[3] the writer's epoch; empty: not checked

  Error "TRIB_FENCED <epoch>" when the writer's epoch is stale (nothing is changed).
  Returns 1.
]]
${FENCE_CHECK}redis.call('ZREMRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
return 1
`,
};
