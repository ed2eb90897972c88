import type { RedisScript } from "./redis-script.js";

/** Reads the oldest and newest retained seq of a job in one step. */
export const resultBounds: RedisScript = {
  name: "tribResultBounds",
  lua: `
--[[
  result-bounds: both ends of a job's result history, read together so an append in between cannot
  pair an old first with a new last.

  KEYS[1] results  zset: ResultFrame JSON scored by seq

  Returns {first, last}, or {0, 0} when the job has no frames.
]]
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if not oldest[2] then
  return {0, 0}
end
return {tonumber(oldest[2]), tonumber(newest[2])}
`,
};
