-- Pauses a scope (an upstream, or one of its models) for every replica, because one replica was told to wait
-- (retry-after, retry-after-ms, or remaining 0 until a reset). A pause never shortens a longer one in force.
--
-- KEYS[1]  the pause key
-- ARGV[1]  now in microseconds, or -1 for the server's TIME
-- ARGV[2]  how long to pause, in microseconds
-- Reply: microseconds the pause lasts from now (the longer of the two)

-- #include prelude.lua

local now = clock(ARGV[1])
local pause_end = now + tonumber(ARGV[2])
local current = tonumber(redis.call('GET', KEYS[1]))
if current and current >= pause_end then
  return math.ceil(current - now)
end
redis.call('SET', KEYS[1], string.format('%.0f', pause_end), 'PX', math.ceil(tonumber(ARGV[2]) / 1000))
return math.ceil(pause_end - now)
