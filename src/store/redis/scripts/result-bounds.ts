import type { RedisScript } from "./redis-script.js";

/** Reads where a job's result history begins and its newest seq in one step. */
export const resultBounds: RedisScript = {
  name: "tribResultBounds",
  lua: `
--[[
  result-bounds: both ends of a job's result history, read together so an append in between cannot
  pair an old first with a new last.

  KEYS[1] results       zset: ResultFrame JSON scored by seq
  KEYS[2] result-first  string: the oldest seq the history covers (absent before it was kept: the
                        oldest retained seq)

  Returns {first, last}, or {0, 0} when the job has no frames.
]]
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if not oldest[2] then
  return {0, 0}
end
local first = tonumber(redis.call('GET', KEYS[2]) or oldest[2])
return {first, tonumber(newest[2])}
`,
};
