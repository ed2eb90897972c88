import { FENCE_CHECK, type RedisScript } from "./redis-script.js";

/** Appends a result frame if its seq is the next one, and trims the job's history (frames, rows, age). */
export const appendResult: RedisScript = {
  name: "tribAppendResult",
  lua: `
--[[
  append-result: check that seq follows the newest stored seq and store the frame. Frames without rows
  are kept only while among the newest <recent> seqs, and take no room in the history. Of the frames
  with rows, keep the newest <history>, no more than <history rows> rows over them, and none whose
  batch time is more than <age> before this frame's (this frame always); result-first moves past each
  frame trimmed, and frames without rows before it go too.

  KEYS[1] results        zset: ResultFrame JSON scored by seq (every retained frame)
  KEYS[2] result-history list: "<seq> <rows> <batch time>" of each retained frame with rows, oldest first
  KEYS[3] result-total   string: rows of the retained frames
  KEYS[4] result-recent  list: seq of each retained frame without rows, oldest first
  KEYS[5] result-first   string: the oldest seq the history covers
  KEYS[6] result-rows    list: the row counts an older version kept; replaced by result-history
  KEYS[7] epoch          string: the job's lease epoch (the fence)

  ARGV[1] seq
  ARGV[2] frame JSON
  ARGV[3] frames with rows kept per job
  ARGV[4] rows kept per job
  ARGV[5] rows of this frame
  ARGV[6] batch time of this frame
  ARGV[7] age kept, in ms of batch time before this frame's; empty: no age bound
  ARGV[8] seqs back from the newest within which frames without rows are kept
  ARGV[9] the writer's epoch; empty: not checked

  Error "TRIB_FENCED <epoch>" when the writer's epoch is stale (nothing is changed).
  Returns the seq stored. Error "TRIB_SEQ <last>" when seq is not last + 1 (nothing is stored).
]]
${FENCE_CHECK}local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
local last = 0
if newest[2] then
  last = tonumber(newest[2])
end
local seq = tonumber(ARGV[1])
if seq ~= last + 1 then
  return redis.error_reply('TRIB_SEQ ' .. string.format('%d', last))
end
-- A history stored by an older version has neither list: both are built from the frames, once.
if last > 0 and redis.call('EXISTS', KEYS[2]) == 0 and redis.call('EXISTS', KEYS[4]) == 0 then
  local total = 0
  local stored = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
  for i = 1, #stored, 2 do
    local frame = cjson.decode(stored[i])
    local rows = #frame.rows
    if rows > 0 then
      redis.call('RPUSH', KEYS[2], stored[i + 1] .. ' ' .. rows .. ' ' .. string.format('%.17g', frame.batchTime))
      total = total + rows
    else
      redis.call('RPUSH', KEYS[4], stored[i + 1])
    end
  end
  redis.call('SET', KEYS[3], total)
  redis.call('DEL', KEYS[6])
end
if redis.call('EXISTS', KEYS[5]) == 0 then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  redis.call('SET', KEYS[5], oldest[2] or ARGV[1])
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
if tonumber(ARGV[5]) > 0 then
  redis.call('RPUSH', KEYS[2], ARGV[1] .. ' ' .. ARGV[5] .. ' ' .. ARGV[6])
  redis.call('INCRBY', KEYS[3], ARGV[5])
else
  redis.call('RPUSH', KEYS[4], ARGV[1])
end
local total = tonumber(redis.call('GET', KEYS[3]) or '0')

-- Forgets the frames without rows whose seq is at most upTo.
local function forgetRecent(upTo)
  while true do
    local head = redis.call('LINDEX', KEYS[4], 0)
    if not head or tonumber(head) > upTo then return end
    redis.call('ZREMRANGEBYSCORE', KEYS[1], head, head)
    redis.call('LPOP', KEYS[4])
  end
end
forgetRecent(seq - tonumber(ARGV[8]))

local oldestKept = nil
if ARGV[7] ~= '' then oldestKept = tonumber(ARGV[6]) - tonumber(ARGV[7]) end
local maxFrames = tonumber(ARGV[3])
local maxRows = tonumber(ARGV[4])
while true do
  local head = redis.call('LINDEX', KEYS[2], 0)
  if not head then break end
  local s, rows, batchTime = string.match(head, '^(%S+) (%S+) (%S+)$')
  local frameSeq = tonumber(s)
  local over = redis.call('LLEN', KEYS[2]) > maxFrames
    or (frameSeq ~= seq and (total > maxRows or (oldestKept ~= nil and tonumber(batchTime) < oldestKept)))
  if not over then break end
  redis.call('ZREMRANGEBYSCORE', KEYS[1], s, s)
  redis.call('LPOP', KEYS[2])
  total = redis.call('DECRBY', KEYS[3], rows)
  redis.call('SET', KEYS[5], string.format('%d', frameSeq + 1))
  forgetRecent(frameSeq)
end
return seq
`,
};
