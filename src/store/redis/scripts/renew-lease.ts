import type { RedisScript } from "./redis-script.js";

/** Extends a lease, or gives it up, only while it is still the caller's. */
export const renewLease: RedisScript = {
  name: "tribRenewLease",
  lua: `
--[[
  renew-lease: extend (or release) the job's lease if it is still the one the caller holds.

  KEYS[1] lease  string "<epoch> <node>"

  ARGV[1] the caller's lease, "<epoch> <node>"
  ARGV[2] time to live, ms; "release": delete the lease instead

  Returns 1 when it was the caller's lease, 0 otherwise (nothing is changed).
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
if ARGV[2] == 'release' then
  redis.call('DEL', KEYS[1])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
`,
};
