-- Registers (or renews) a replica and counts the live ones. Replicas are members of a sorted set scored by when
-- they stop counting; one that stopped renewing (crashed, partitioned) drops out after the time to live.
--
-- KEYS[1]  the replica set
-- ARGV[1]  now in microseconds, or -1 for the server's TIME
-- ARGV[2]  time to live in microseconds
-- ARGV[3]  this replica's id, or '' to only count
-- Reply: live replicas

-- #include prelude.lua

local now = clock(ARGV[1])
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now))
if ARGV[3] ~= '' then
  redis.call('ZADD', KEYS[1], string.format('%.0f', now + ttl), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(ttl / 1000))
end
return redis.call('ZCARD', KEYS[1])
