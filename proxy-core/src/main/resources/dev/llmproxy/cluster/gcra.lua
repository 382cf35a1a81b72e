-- Multi-bucket GCRA (generic cell rate algorithm), the shared twin of admission/TokenBucket: takes each bucket's
-- cost from every bucket or from none, atomically, unless a pause is in force. A bucket's whole state is its
-- theoretical arrival time (TAT): a full bucket is a TAT in the past, or no key at all.
--
-- KEYS[1..p]      pause keys (value: the pause's end, microseconds since the epoch)
-- KEYS[p+1..p+n]  bucket keys (value: TAT, microseconds since the epoch)
-- ARGV[1]         now in microseconds, or -1 for the server's TIME (one clock for every replica)
-- ARGV[2]         p, the number of pause keys
-- ARGV[3]         'check' (all or none) or 'force' (charge whatever the state, e.g. exact usage after a response;
--                 a negative cost refunds, never beyond a full bucket)
-- ARGV[4..]       per bucket, four numbers: rate (tokens per period), period in microseconds, burst, cost
--
-- Reply: {allowed (0|1), reason, retry after in microseconds, limiting bucket (1-based, 0 = a pause or none),
--         then per bucket: tokens remaining, microseconds until full}
-- reason: 0 allowed, 1 a bucket lacks tokens, 2 paused, 3 a cost exceeds its bucket's burst (can never pass)

-- #include prelude.lua

local now = clock(ARGV[1])
local pauses = tonumber(ARGV[2])
local force = ARGV[3] == 'force'
local n = #KEYS - pauses

local pause_wait = 0
for i = 1, pauses do
  local pause_end = tonumber(redis.call('GET', KEYS[i]))
  if pause_end and pause_end - now > pause_wait then
    pause_wait = pause_end - now
  end
end

local tats, nexts, intervals, caps = {}, {}, {}, {}
local bucket_wait, limiting, too_large = 0, 0, 0
for i = 1, n do
  local a = 4 + (i - 1) * 4
  local cost = tonumber(ARGV[a + 3])
  local tat, nxt, interval, cap = gcra_read(KEYS[pauses + i], now, tonumber(ARGV[a]), tonumber(ARGV[a + 1]),
      tonumber(ARGV[a + 2]), cost)
  tats[i], nexts[i], intervals[i], caps[i] = tat, nxt, interval, cap
  if cost * interval > cap then
    if too_large == 0 then too_large = i end
  elseif nxt - now > cap and nxt - now - cap > bucket_wait then
    bucket_wait, limiting = nxt - now - cap, i
  end
end

local allowed, reason, retry = 1, 0, 0
if not force then
  if too_large > 0 then
    allowed, reason, limiting = 0, 3, too_large
  elseif pause_wait > 0 and pause_wait >= bucket_wait then
    allowed, reason, retry, limiting = 0, 2, pause_wait, 0
  elseif bucket_wait > 0 then
    allowed, reason, retry = 0, 1, bucket_wait
  end
end
if allowed == 1 then
  limiting = 0
end

local reply = {allowed, reason, math.ceil(retry), limiting}
for i = 1, n do
  local tat = tats[i]
  if allowed == 1 and nexts[i] ~= tat then
    tat = nexts[i]
    gcra_store(KEYS[pauses + i], tat, now)
  end
  reply[4 + 2 * i - 1] = gcra_remaining(tat, now, intervals[i], caps[i])
  reply[4 + 2 * i] = math.ceil(tat - now)
end
return reply
