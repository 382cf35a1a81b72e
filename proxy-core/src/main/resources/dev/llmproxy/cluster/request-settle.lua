-- What one request gives back and charges once it is over, in one call: its leases released, the exact usage
-- charged to its token buckets (the difference from the estimate it was admitted with; a negative cost refunds,
-- never beyond a full bucket) and added to its day's and month's counters. Also what a request that was admitted
-- but never went gives back. Nobody waits for the reply.
--
-- ARGV[1]  now in microseconds, or -1 for the server's TIME
-- ARGV[2..] the items in order, each a letter, then its numbers; KEYS are taken in the same order:
--   'l'  release a lease      1 key (the lease set)                  the lease's id
--   'b'  charge a bucket      1 key (value: TAT)                     rate, period (microseconds), burst, cost
--   'c'  add to counters      1 or 2 keys (a day's and/or a month's) the number of keys, the amount, then each
--                                                                    key's period end (milliseconds since the epoch)
-- Reply: the number of items applied

-- #include prelude.lua

local now = clock(ARGV[1])
local a, k, n = 2, 1, 0
while a <= #ARGV do
  local kind = ARGV[a]
  if kind == 'l' then
    redis.call('ZREM', KEYS[k], ARGV[a + 1])
    k, a = k + 1, a + 2
  elseif kind == 'b' then
    local _, nxt = gcra_read(KEYS[k], now, tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]),
        tonumber(ARGV[a + 4]))
    gcra_store(KEYS[k], nxt, now)
    k, a = k + 1, a + 5
  elseif kind == 'c' then
    local keys = tonumber(ARGV[a + 1])
    for j = 0, keys - 1 do
      redis.call('INCRBY', KEYS[k + j], ARGV[a + 2])
      redis.call('PEXPIREAT', KEYS[k + j], ARGV[a + 3 + j])
    end
    k, a = k + keys, a + 3 + keys
  else
    return redis.error_reply('unknown item ' .. tostring(kind))
  end
  n = n + 1
end
return n
