-- Takes one concurrency slot of a scope if fewer than `limit` live leases hold it. Leases are members of a sorted
-- set scored by their expiry; expired ones (a crashed replica's, never renewed) are dropped first.
--
-- KEYS[1]  the scope's lease set
-- ARGV[1]  now in microseconds, or -1 for the server's TIME
-- ARGV[2]  limit
-- ARGV[3]  time to live in microseconds
-- ARGV[4]  the new lease's id
-- Reply: {granted (0|1), leases held after the call}

-- #include prelude.lua

local now = clock(ARGV[1])
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now))
local held = redis.call('ZCARD', KEYS[1])
if held >= tonumber(ARGV[2]) then
  return {0, held}
end
redis.call('ZADD', KEYS[1], string.format('%.0f', now + ttl), ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.ceil(ttl / 1000))
return {1, held + 1}
