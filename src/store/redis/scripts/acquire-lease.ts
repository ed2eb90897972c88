import type { RedisScript } from "./redis-script.js";

/** Grants a job's lease with a new epoch, unless another node holds it (or always, to seize it). */
export const acquireLease: RedisScript = {
  name: "tribAcquireLease",
  lua: `
--[[
  acquire-lease: grant the job's lease to a node with the next epoch.

  KEYS[1] lease  string "<epoch> <node>", expires with the lease
  KEYS[2] epoch  string: the newest epoch granted; never expires, never goes down

  ARGV[1] node id
  ARGV[2] time to live, ms
  ARGV[3] "seize": grant it whoever holds it; anything else: only when nobody else does

  Returns the epoch granted, or 0 when another node holds the lease (nothing is changed).
]]
local holder = redis.call('GET', KEYS[1])
if holder and ARGV[3] ~= 'seize' then
  local node = string.match(holder, '^%d+ (.*)$')
  if node ~= ARGV[1] then
    return 0
  end
end
local epoch = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], string.format('%d', epoch) .. ' ' .. ARGV[1], 'PX', ARGV[2])
return epoch
`,
};
