-- Renews every lease one replica holds, in one call per heartbeat instead of one per lease. A lease that already
-- expired (or was released) is not brought back: its slot may have been given to someone else meanwhile.
--
-- KEYS[1..k]  lease sets
-- ARGV[1]     now in microseconds, or -1 for the server's TIME
-- ARGV[2]     time to live in microseconds
-- ARGV[3..]   for each key in order: the number m of its leases, then m lease ids
-- Reply: the ids that were no longer held, as a flat list {key index, id, key index, id, ...}

-- #include prelude.lua

local now = clock(ARGV[1])
local ttl = tonumber(ARGV[2])
local expiry = string.format('%.0f', now + ttl)
local lost = {}
local a = 3
for k = 1, #KEYS do
  local key = KEYS[k]
  redis.call('ZREMRANGEBYSCORE', key, '-inf', string.format('%.0f', now))
  local m = tonumber(ARGV[a])
  for j = a + 1, a + m do
    if redis.call('ZSCORE', key, ARGV[j]) then
      redis.call('ZADD', key, 'XX', expiry, ARGV[j])
    else
      lost[#lost + 1] = k
      lost[#lost + 1] = ARGV[j]
    end
  end
  a = a + m + 1
  if redis.call('EXISTS', key) == 1 then
    redis.call('PEXPIRE', key, math.ceil(ttl / 1000))
  end
end
return lost
