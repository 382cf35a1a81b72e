-- How long a scope stays paused from now (see pause.lua).
--
-- KEYS[1]  the pause key
-- ARGV[1]  now in microseconds, or -1 for the server's TIME
-- Reply: microseconds left, 0 when not paused

-- #include prelude.lua

local now = clock(ARGV[1])
local ends = tonumber(redis.call('GET', KEYS[1]))
if ends and ends > now then
  return math.ceil(ends - now)
end
return 0
