import type { RedisScript } from "./redis-script.js";

/**
 * What a stream partition retains, and the offsets a retention cuts at, read on the server so no
 * payload crosses the wire. Blocks carry the events and bytes appended before them (append-block), so
 * counts are differences and a cut point is a binary search over offsets.
 */
export const partitionExtent: RedisScript = {
  name: "tribPartitionExtent",
  lua: `
--[[
  partition-extent: a partition's retained extent, or the offset where a time or byte retention cuts.

  KEYS[1] offsets  hash: "<partition>:end", "<partition>:start", "<partition>:events", "<partition>:bytes"
  KEYS[2] blocks   stream: entry id "<offset>-1", fields t (appendedAt), e, b (events, bytes before it)

  ARGV[1] partition
  ARGV[2] what: "extent", "time" or "bytes"
  ARGV[3] for "extent": count from this offset on (or from the start, when it is before it);
          for "time": the first offset appended at or after this ms time is returned;
          for "bytes": the smallest offset from which the blocks hold at most this many bytes

  Returns for "extent" {start, end, events, bytes, oldestAppendedAt or -1}; otherwise the offset.
  Blocks appended before e and b were recorded count as holding none.
]]
local p = ARGV[1]
local start = tonumber(redis.call('HGET', KEYS[1], p .. ':start') or '0')
local finish = tonumber(redis.call('HGET', KEYS[1], p .. ':end') or '0')
local totalEvents = tonumber(redis.call('HGET', KEYS[1], p .. ':events') or '0')
local totalBytes = tonumber(redis.call('HGET', KEYS[1], p .. ':bytes') or '0')

local function field(offset, name)
  local entries = redis.call('XRANGE', KEYS[2], string.format('%d-1', offset), string.format('%d-1', offset))
  local entry = entries[1]
  if not entry then return nil end
  local fields = entry[2]
  for i = 1, #fields, 2 do
    if fields[i] == name then return tonumber(fields[i + 1]) end
  end
  return nil
end

if ARGV[2] == 'extent' then
  local from = math.max(start, tonumber(ARGV[3]))
  if from >= finish then return {start, finish, 0, 0, -1} end
  local events = totalEvents - (field(from, 'e') or totalEvents)
  local bytes = totalBytes - (field(from, 'b') or totalBytes)
  return {start, finish, events, bytes, field(from, 't') or -1}
end

local limit = tonumber(ARGV[3])
-- The first offset in [start, finish) for which the test holds (it holds for every later one).
local lo, hi = start, finish
while lo < hi do
  local mid = math.floor((lo + hi) / 2)
  local ok
  if ARGV[2] == 'time' then
    ok = (field(mid, 't') or 0) >= limit
  else
    ok = totalBytes - (field(mid, 'b') or 0) <= limit
  end
  if ok then hi = mid else lo = mid + 1 end
end
return lo
`,
};
