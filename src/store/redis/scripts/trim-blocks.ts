import type { RedisScript } from "./redis-script.js";

/** Drops a stream partition's blocks below an offset and records the new start. */
export const trimBlocks: RedisScript = {
  name: "tribTrimBlocks",
  lua: `
--[[
  trim-blocks: move a partition's start offset up (never past its end) and delete the blocks below.

  KEYS[1] offsets  hash: "<partition>:end", "<partition>:start"
  KEYS[2] blocks   stream: entry id "<offset>-1"

  ARGV[1] partition
  ARGV[2] trim point: blocks with offset < this go

  Returns the partition's start offset afterwards.
]]
local startField = ARGV[1] .. ':start'
local endOffset = tonumber(redis.call('HGET', KEYS[1], ARGV[1] .. ':end') or '0')
local start = tonumber(redis.call('HGET', KEYS[1], startField) or '0')
local before = math.min(tonumber(ARGV[2]), endOffset)
if before <= start then
  return start
end
redis.call('XTRIM', KEYS[2], 'MINID', string.format('%d', before))
redis.call('HSET', KEYS[1], startField, string.format('%d', before))
return before
`,
};
