import type { RedisScript } from "./redis-script.js";

/** Appends a result frame if its seq is the next one, and trims the job's history. */
export const appendResult: RedisScript = {
  name: "tribAppendResult",
  lua: `
--[[
  append-result: check that seq follows the newest stored seq, store the frame, keep the newest
  <history> frames.

  KEYS[1] results  zset: ResultFrame JSON scored by seq

  ARGV[1] seq
  ARGV[2] frame JSON
  ARGV[3] frames kept per job

  Returns the seq stored. Error "TRIB_SEQ <last>" when seq is not last + 1 (nothing is stored).
]]
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
local last = 0
if newest[2] then
  last = tonumber(newest[2])
end
if tonumber(ARGV[1]) ~= last + 1 then
  return redis.error_reply('TRIB_SEQ ' .. string.format('%d', last))
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[3]) + 1))
return last + 1
`,
};
