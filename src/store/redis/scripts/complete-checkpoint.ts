import { FENCE_CHECK, type RedisScript } from "./redis-script.js";

/** Marks a checkpoint complete (with the job's counters) once every partition has saved, and prunes older ones. */
export const completeCheckpoint: RedisScript = {
  name: "tribCompleteCheckpoint",
  lua: `
--[[
  complete-checkpoint: check that partitions 0..n-1 all have a snapshot at the batch time (none for
  n = 0), mark the checkpoint complete with the job's counters, then forget every checkpoint
  (complete or not) older than the oldest of the newest <keep> complete ones. All in one step: no
  reader ever sees a complete checkpoint without its snapshots, or counters without their checkpoint.

  KEYS[1] snapshots  hash: "<batchTime>:<partition>" -> state bytes
  KEYS[2] complete   zset: complete checkpoints' batch times, scored by themselves
  KEYS[3] counters   hash: "<batchTime>" -> JobCounters JSON
  KEYS[4] epoch      string: the job's lease epoch (the fence)

  ARGV[1] batch time
  ARGV[2] partitions of the job
  ARGV[3] complete checkpoints to keep
  ARGV[4] the job's counters as JSON; empty: the checkpoint carries none
  ARGV[5] the writer's epoch; empty: not checked

  Error "TRIB_FENCED <epoch>" when the writer's epoch is stale (nothing is changed).
  Returns the number of snapshots pruned. Error "TRIB_INCOMPLETE <p>,<p>,..." naming the partitions
  without a snapshot (nothing is changed).
]]
${FENCE_CHECK}local batchTime = ARGV[1]
local missing = {}
for partition = 0, tonumber(ARGV[2]) - 1 do
  if redis.call('HEXISTS', KEYS[1], batchTime .. ':' .. partition) == 0 then
    missing[#missing + 1] = partition
  end
end
if #missing > 0 then
  return redis.error_reply('TRIB_INCOMPLETE ' .. table.concat(missing, ','))
end
redis.call('ZADD', KEYS[2], batchTime, batchTime)
if ARGV[4] == '' then
  redis.call('HDEL', KEYS[3], batchTime)
else
  redis.call('HSET', KEYS[3], batchTime, ARGV[4])
end
local keep = tonumber(ARGV[3])
local kept = redis.call('ZREVRANGE', KEYS[2], keep - 1, keep - 1)
if not kept[1] then
  return 0
end
local oldestKept = tonumber(kept[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. kept[1])
local stale = {}
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if tonumber(string.match(field, '^(-?%d+):')) < oldestKept then
    stale[#stale + 1] = field
  end
end
for _, field in ipairs(redis.call('HKEYS', KEYS[3])) do
  if tonumber(field) < oldestKept then
    redis.call('HDEL', KEYS[3], field)
  end
end
-- HDEL in slices: unpack() of thousands of values would overflow Lua's C stack.
for from = 1, #stale, 1000 do
  redis.call('HDEL', KEYS[1], unpack(stale, from, math.min(from + 999, #stale)))
end
return #stale
`,
};
