import type { RedisScript } from "./redis-script.js";

/** Extends a lease, or gives it up, only while it is still the caller's. */
export const renewLease: RedisScript = {
  name: "tribRenewLease",
  lua: `
--[[
  renew-lease: extend (or release) the job's lease if it is still the one the caller holds. A lease
  that lapsed without being granted again (the epoch is still the caller's) is still the caller's:
  nobody else can have written since, so it is set again.

  KEYS[1] lease  string "<epoch> <node>"
  KEYS[2] epoch  string: the newest epoch granted

  ARGV[1] the caller's lease, "<epoch> <node>"
  ARGV[2] the caller's epoch
  ARGV[3] time to live, ms; "release": give it up instead (the lease is deleted and the epoch moves
          on, so the former holder is fenced at once and cannot renew it)

  Returns 1 when it was the caller's lease, 0 otherwise (nothing is changed).
]]
local holder = redis.call('GET', KEYS[1])
if holder ~= ARGV[1] and (holder or redis.call('GET', KEYS[2]) ~= ARGV[2]) then
  return 0
end
if ARGV[3] == 'release' then
  redis.call('DEL', KEYS[1])
  redis.call('INCR', KEYS[2])
else
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
end
return 1
`,
};
