-- Every shared limit one request checks before its upstream call, in one round trip: the client key's buckets, its
-- day's request count, its month's token budget and a concurrency lease, and the upstream's pauses, buckets and
-- lease. All are judged first; only if every one passes is anything taken (buckets charged, the request counted,
-- leases added), so a refusal on one limit consumes nothing from the others. Judged on Redis's clock.
--
-- ARGV[1]  now in microseconds, or -1 for the server's TIME (one clock for every replica)
-- ARGV[2]  a lease's time to live in microseconds
-- ARGV[3]  the end of today (UTC), milliseconds since the epoch; ARGV[4] the end of this month
-- ARGV[5..] the checks in order, each a letter, then its numbers; KEYS are taken in the same order:
--   'p'  a pause                1 key (value: its end)           no numbers
--   'b'  a GCRA bucket          1 key (value: TAT)               rate, period (microseconds), burst, cost
--   'r'  count the request      2 keys (today's, this month's)   the day's limit (0: none)
--   'm'  a monthly budget       1 key (this month's counter)     the limit (0: none)
--   'l'  a concurrency lease    1 key (the scope's lease set)    the limit, the new lease's id
--
-- Reply: {admitted (0|1), then four numbers per check:
--   'p'  status (0 | 2 paused), wait in microseconds, 0, 0
--   'b'  status (0 | 1 short of tokens | 3 the cost exceeds the burst), wait in microseconds, tokens remaining,
--        microseconds until full
--   'r'  status (0 | 1 over the day's limit), today's count, this month's count, 0
--   'm'  status (0 | 1 budget used), this month's total, 0, 0
--   'l'  status (0 | 1 every slot taken), leases held, 0, 0}
-- Counts and bucket states are after the decision: with the request if admitted, without it if not.

-- #include prelude.lua

local now = clock(ARGV[1])
local ttl = tonumber(ARGV[2])
local day_end, month_end = ARGV[3], ARGV[4]

local kinds, firsts, argv_at, state = {}, {}, {}, {}
local admitted = 1
local a, k, n = 5, 1, 0
while a <= #ARGV do
  n = n + 1
  local kind = ARGV[a]
  kinds[n], firsts[n], argv_at[n] = kind, k, a + 1
  local s = {0, 0, 0, 0}
  if kind == 'p' then
    local pause_end = tonumber(redis.call('GET', KEYS[k]))
    if pause_end and pause_end > now then
      s[1], s[2] = 2, math.ceil(pause_end - now)
    end
    k, a = k + 1, a + 1
  elseif kind == 'b' then
    local cost = tonumber(ARGV[a + 4])
    local tat, nxt, interval, cap = gcra_read(KEYS[k], now, tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]),
        tonumber(ARGV[a + 3]), cost)
    if cost * interval > cap then
      s[1] = 3
    elseif nxt - now > cap then
      s[1], s[2] = 1, math.ceil(nxt - now - cap)
    end
    s.tat, s.nxt, s.interval, s.cap = tat, nxt, interval, cap
    k, a = k + 1, a + 5
  elseif kind == 'r' then
    local day = tonumber(redis.call('GET', KEYS[k])) or 0
    local month = tonumber(redis.call('GET', KEYS[k + 1])) or 0
    local limit = tonumber(ARGV[a + 1])
    if limit > 0 and day + 1 > limit then
      s[1] = 1
    end
    s[2], s[3] = day, month
    k, a = k + 2, a + 2
  elseif kind == 'm' then
    local month = tonumber(redis.call('GET', KEYS[k])) or 0
    local limit = tonumber(ARGV[a + 1])
    if limit > 0 and month >= limit then
      s[1] = 1
    end
    s[2] = month
    k, a = k + 1, a + 2
  elseif kind == 'l' then
    -- dropping expired leases (a crashed replica's, never renewed) takes nothing from anyone
    redis.call('ZREMRANGEBYSCORE', KEYS[k], '-inf', string.format('%.0f', now))
    local held = redis.call('ZCARD', KEYS[k])
    if held >= tonumber(ARGV[a + 1]) then
      s[1] = 1
    end
    s[2] = held
    k, a = k + 1, a + 3
  else
    return redis.error_reply('unknown check ' .. tostring(kind))
  end
  if s[1] ~= 0 then admitted = 0 end
  state[n] = s
end

local reply = {admitted}
for i = 1, n do
  local s, kind, key, at = state[i], kinds[i], KEYS[firsts[i]], argv_at[i]
  if kind == 'b' then
    local tat = s.tat
    if admitted == 1 and s.nxt ~= tat then
      tat = s.nxt
      gcra_store(key, tat, now)
    end
    s[3], s[4] = gcra_remaining(tat, now, s.interval, s.cap), math.ceil(tat - now)
  elseif admitted == 1 and kind == 'r' then
    s[2] = redis.call('INCRBY', key, 1)
    redis.call('PEXPIREAT', key, day_end)
    s[3] = redis.call('INCRBY', KEYS[firsts[i] + 1], 1)
    redis.call('PEXPIREAT', KEYS[firsts[i] + 1], month_end)
  elseif admitted == 1 and kind == 'l' then
    redis.call('ZADD', key, string.format('%.0f', now + ttl), ARGV[at + 1])
    redis.call('PEXPIRE', key, math.ceil(ttl / 1000))
    s[2] = s[2] + 1
  end
  for j = 1, 4 do
    reply[#reply + 1] = s[j]
  end
end
return reply
