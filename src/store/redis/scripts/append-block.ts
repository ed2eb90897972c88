import type { RedisScript } from "./redis-script.js";

/** Appends one block to a stream partition, or finds the block its request id already stored. */
export const appendBlock: RedisScript = {
  name: "tribAppendBlock",
  lua: `
--[[
  append-block: check the request id, append, remember the request id - in one step, so two
  concurrent appends of one request can never both store a block.

  KEYS[1] offsets     hash: "<partition>:end" = next offset, "<partition>:start" = oldest retained,
                      "<partition>:events" and "<partition>:bytes" = events and payload bytes ever appended
  KEYS[2] blocks      stream: entry id "<offset>-1", fields c (event count), t (appendedAt), p (payload),
                      e and b (events and payload bytes appended before this block)
  KEYS[3] generation  string: bumped by every drop of the stream, so request keys of before no longer count
  KEYS[4] request     optional; string "<generation>:<offset>" that expires after the retention

  ARGV[1] partition
  ARGV[2] event count
  ARGV[3] appendedAt, ms since epoch
  ARGV[4] payload bytes
  ARGV[5] idempotency retention in ms (only with KEYS[4])

  Returns {offset, 0} for a block appended now, {offset, 1} when KEYS[4] already named one.
]]
local generation = redis.call('GET', KEYS[3]) or '0'
if KEYS[4] then
  local seen = redis.call('GET', KEYS[4])
  if seen then
    local colon = string.find(seen, ':', 1, true)
    if string.sub(seen, 1, colon - 1) == generation then
      return {tonumber(string.sub(seen, colon + 1)), 1}
    end
  end
end
local endField = ARGV[1] .. ':end'
local offset = tonumber(redis.call('HGET', KEYS[1], endField) or '0')
-- XADD first: if it fails, nothing has changed (a script is not rolled back on error).
local eventsBefore = tonumber(redis.call('HGET', KEYS[1], ARGV[1] .. ':events') or '0')
local bytesBefore = tonumber(redis.call('HGET', KEYS[1], ARGV[1] .. ':bytes') or '0')
redis.call('XADD', KEYS[2], string.format('%d-1', offset), 'c', ARGV[2], 't', ARGV[3], 'p', ARGV[4],
  'e', string.format('%d', eventsBefore), 'b', string.format('%d', bytesBefore))
redis.call('HSET', KEYS[1], endField, string.format('%d', offset + 1),
  ARGV[1] .. ':events', string.format('%d', eventsBefore + tonumber(ARGV[2])),
  ARGV[1] .. ':bytes', string.format('%d', bytesBefore + string.len(ARGV[4])))
if KEYS[4] then
  redis.call('SET', KEYS[4], generation .. ':' .. string.format('%d', offset), 'PX', ARGV[5])
end
return {offset, 0}
`,
};
