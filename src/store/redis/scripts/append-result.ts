import { FENCE_CHECK, type RedisScript } from "./redis-script.js";

/** Appends a result frame if its seq is the next one, and trims the job's history (frames and rows). */
export const appendResult: RedisScript = {
  name: "tribAppendResult",
  lua: `
--[[
  append-result: check that seq follows the newest stored seq, store the frame, keep the newest
  <history> frames, and of those no more than <history rows> rows (the newest frame always).

  KEYS[1] results      zset: ResultFrame JSON scored by seq
  KEYS[2] result-rows  list: row count of each retained frame, oldest first
  KEYS[3] result-total string: rows of the retained frames
  KEYS[4] epoch        string: the job's lease epoch (the fence)

  ARGV[1] seq
  ARGV[2] frame JSON
  ARGV[3] frames kept per job
  ARGV[4] rows kept per job
  ARGV[5] rows of this frame
  ARGV[6] the writer's epoch; empty: not checked

  Error "TRIB_FENCED <epoch>" when the writer's epoch is stale (nothing is changed).
  Returns the seq stored. Error "TRIB_SEQ <last>" when seq is not last + 1 (nothing is stored).
]]
${FENCE_CHECK}local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
local last = 0
if newest[2] then
  last = tonumber(newest[2])
end
if tonumber(ARGV[1]) ~= last + 1 then
  return redis.error_reply('TRIB_SEQ ' .. string.format('%d', last))
end
-- A history stored before row counts were kept has fewer counts than frames: those count as 0 rows.
-- (More counts than frames cannot happen through this store; the oldest extra ones would be dropped.)
local missing = redis.call('ZCARD', KEYS[1]) - redis.call('LLEN', KEYS[2])
for _ = 1, missing do redis.call('LPUSH', KEYS[2], '0') end
if missing < 0 then redis.call('LTRIM', KEYS[2], -missing, -1) end
if missing ~= 0 then
  local total = 0
  for _, n in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do total = total + tonumber(n) end
  redis.call('SET', KEYS[3], total)
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('RPUSH', KEYS[2], ARGV[5])
local total = redis.call('INCRBY', KEYS[3], ARGV[5])
local frames = redis.call('ZCARD', KEYS[1])
while frames > tonumber(ARGV[3]) or (total > tonumber(ARGV[4]) and frames > 1) do
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
  total = redis.call('DECRBY', KEYS[3], tonumber(redis.call('LPOP', KEYS[2])))
  frames = frames - 1
end
return last + 1
`,
};
