import { FENCE_CHECK, type RedisScript } from "./redis-script.js";

/** Appends a result frame if its seq is the next one, and trims the job's history (frames, rows, age). */
export const appendResult: RedisScript = {
  name: "tribAppendResult",
  lua: `
--[[
  append-result: check that seq follows the newest stored seq, drop the newest stored frame if it has
  no rows (such a frame is kept only while it is the newest), store the frame, then keep the newest
  <history> frames, of those no more than <history rows> rows, and none whose batch time is more than
  <age> before this frame's (the newest frame always). result-first moves past each frame trimmed.

  KEYS[1] results      zset: ResultFrame JSON scored by seq
  KEYS[2] result-rows  list: row count of each retained frame, oldest first
  KEYS[3] result-total string: rows of the retained frames
  KEYS[4] result-times list: batch time of each retained frame, oldest first
  KEYS[5] result-first string: the oldest seq the history covers
  KEYS[6] epoch        string: the job's lease epoch (the fence)

  ARGV[1] seq
  ARGV[2] frame JSON
  ARGV[3] frames kept per job
  ARGV[4] rows kept per job
  ARGV[5] rows of this frame
  ARGV[6] batch time of this frame
  ARGV[7] age kept, in ms of batch time before this frame's; empty: no age bound
  ARGV[8] the writer's epoch; empty: not checked

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
local frames = redis.call('ZCARD', KEYS[1])
-- A history stored before row counts (or batch times) were kept has fewer of them than frames: the
-- oldest frames' are read from the frames themselves, once. (More than frames cannot happen through
-- this store; the oldest extra ones would be dropped.)
local function backfill(list, field)
  local missing = frames - redis.call('LLEN', list)
  if missing > 0 then
    local old = redis.call('ZRANGE', KEYS[1], 0, missing - 1)
    for i = #old, 1, -1 do redis.call('LPUSH', list, string.format('%.17g', field(cjson.decode(old[i])))) end
  elseif missing < 0 then
    redis.call('LTRIM', list, -missing, -1)
  end
  return missing
end
if backfill(KEYS[2], function(frame) return #frame.rows end) ~= 0 then
  local total = 0
  for _, n in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do total = total + tonumber(n) end
  redis.call('SET', KEYS[3], total)
end
backfill(KEYS[4], function(frame) return frame.batchTime end)
if redis.call('EXISTS', KEYS[5]) == 0 then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  redis.call('SET', KEYS[5], oldest[2] or ARGV[1])
end
-- The newest frame so far, if it has no rows, is no longer needed: the new one carries the seq on.
if frames > 0 and redis.call('LINDEX', KEYS[2], -1) == '0' then
  redis.call('ZREMRANGEBYRANK', KEYS[1], -1, -1)
  redis.call('RPOP', KEYS[2])
  redis.call('RPOP', KEYS[4])
  frames = frames - 1
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('RPUSH', KEYS[2], ARGV[5])
redis.call('RPUSH', KEYS[4], ARGV[6])
local total = redis.call('INCRBY', KEYS[3], ARGV[5])
frames = frames + 1
local oldestKept = nil
if ARGV[7] ~= '' then oldestKept = tonumber(ARGV[6]) - tonumber(ARGV[7]) end
while frames > tonumber(ARGV[3]) or (frames > 1 and (total > tonumber(ARGV[4]) or (oldestKept and tonumber(redis.call('LINDEX', KEYS[4], 0)) < oldestKept))) do
  local popped = redis.call('ZPOPMIN', KEYS[1])
  redis.call('SET', KEYS[5], string.format('%d', tonumber(popped[2]) + 1))
  total = redis.call('DECRBY', KEYS[3], tonumber(redis.call('LPOP', KEYS[2])))
  redis.call('LPOP', KEYS[4])
  frames = frames - 1
end
return last + 1
`,
};
