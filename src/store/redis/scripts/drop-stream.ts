import type { RedisScript } from "./redis-script.js";

/** Deletes every block and offset of a stream and retires its request ids. */
export const dropStream: RedisScript = {
  name: "tribDropStream",
  lua: `
--[[
  drop-stream: delete a stream's offsets and the blocks of every partition, and bump its generation
  so that request keys left behind (they expire on their own) no longer count as duplicates.
  The caller lists the partitions it found in the offsets hash; if an append has since added another,
  nothing is deleted and the caller looks again (a script may only touch the keys it is given).

  KEYS[1]     offsets     hash: "<partition>:end", "<partition>:start"
  KEYS[2]     generation  string
  KEYS[3..n]  blocks      stream of each partition in ARGV, in the same order

  ARGV[1..n-2] the partitions whose blocks are KEYS[3..n]

  Returns the number of partitions dropped, or -1 when the offsets hash names a partition not listed.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local listed = {}
for _, partition in ipairs(ARGV) do
  listed[partition] = true
end
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  local partition = string.match(field, '^(%d+):')
  if partition and not listed[partition] then
    return -1
  end
end
for i = 3, #KEYS do
  redis.call('DEL', KEYS[i])
end
redis.call('DEL', KEYS[1])
redis.call('INCR', KEYS[2])
return #ARGV
`,
};
