-- Records what one replica learned from an upstream's 429 about a model's quota, and tells every replica at once:
-- a pause of one model or of all of them, a daily quota gone until its reset, a lowered concurrency. A pause never
-- shortens a longer one in force; a concurrency cut never raises an active one.
--
-- KEYS[1]  the hash of learned quota state (field: '<kind> <model>', value: '<end> <limit>', end in microseconds)
-- ARGV[1]  now in microseconds, or -1 for the server's TIME
-- ARGV[2]  the channel every replica listens on
-- ARGV[3]  kind: pause, all, day or concurrency
-- ARGV[4]  the model id (catalog id, or 'other')
-- ARGV[5]  how long it holds, in microseconds
-- ARGV[6]  the lowered concurrency (kind concurrency), else -1
-- Reply: the number of replicas the news reached

-- #include prelude.lua

local now = clock(ARGV[1])
local kind = ARGV[3]
local field = kind .. ' ' .. ARGV[4]
local ends = now + tonumber(ARGV[5])
local limit = tonumber(ARGV[6])
local current = redis.call('HGET', KEYS[1], field)
if current then
  local sep = string.find(current, ' ', 1, true)
  local current_end = tonumber(string.sub(current, 1, sep - 1))
  local current_limit = tonumber(string.sub(current, sep + 1))
  if current_end > now then
    if current_end > ends then ends = current_end end
    if kind == 'concurrency' and current_limit < limit then limit = current_limit end
  end
end
redis.call('HSET', KEYS[1], field, string.format('%.0f', ends) .. ' ' .. limit)
local ttl = math.ceil((ends - now) / 1000)
if redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return redis.call('PUBLISH', ARGV[2], kind .. ' ' .. string.format('%.0f', ends - now) .. ' ' .. limit .. ' '
    .. ARGV[4])
