-- What several scripts share. Redis scripts cannot load each other, so LuaScript puts this text in place of a
-- script's include line for it when it loads the script (the digest is the combined text's).

-- The time a script runs at, in microseconds since the epoch: the caller's (tests), or Redis's TIME for -1, so
-- that every replica is judged by one clock.
local function clock(arg)
  local now = tonumber(arg)
  if now < 0 then
    local t = redis.call('TIME')
    now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  end
  return now
end

-- One GCRA bucket (the shared twin of admission/TokenBucket) read at now: its theoretical arrival time (TAT, never
-- in the past: a full bucket is a TAT in the past, or no key), the TAT once cost is taken (a negative cost refunds,
-- never beyond a full bucket), the microseconds per token and the capacity in microseconds.
local function gcra_read(key, now, rate, period, burst, cost)
  local interval = period / rate
  local cap = interval * burst
  local tat = tonumber(redis.call('GET', key)) or now
  if tat < now then tat = now end
  local nxt = tat + cost * interval
  if nxt < now then nxt = now end
  return tat, nxt, interval, cap
end

-- Stores a bucket's TAT; one not in the future is a full bucket, kept as no key.
local function gcra_store(key, tat, now)
  if tat > now then
    -- '%.3f': Lua's default number format keeps 14 digits, too few for microseconds since the epoch
    redis.call('SET', key, string.format('%.3f', tat), 'PX', math.ceil((tat - now) / 1000))
  else
    redis.call('DEL', key)
  end
end

-- Whole tokens left in a bucket at TAT tat.
local function gcra_remaining(tat, now, interval, cap)
  local remaining = math.floor((cap - (tat - now)) / interval + 1e-9)
  if remaining < 0 then remaining = 0 end
  return remaining
end
