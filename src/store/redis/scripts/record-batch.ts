import type { RedisScript } from "./redis-script.js";

/** Records a batch descriptor, replacing one recorded before for the same batch time. */
export const recordBatch: RedisScript = {
  name: "tribRecordBatch",
  lua: `
--[[
  record-batch: replace whatever descriptor the batch time had with the new one.

  KEYS[1] batches  zset: BatchDescriptor JSON scored by batch time

  ARGV[1] batch time
  ARGV[2] descriptor JSON

  Returns 1.
]]
redis.call('ZREMRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
return 1
`,
};
