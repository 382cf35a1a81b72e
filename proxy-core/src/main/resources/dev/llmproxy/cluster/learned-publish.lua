-- Records the limits an upstream advertised on a response (x-ratelimit-limit/remaining/reset-requests/-tokens),
-- with resets turned into absolute ends on the shared clock, so any replica can read them later.
--
-- KEYS[1]  the scope's hash
-- ARGV[1]  now in microseconds, or -1 for the server's TIME
-- ARGV[2]  how long the record is kept, in milliseconds
-- ARGV[3..8]  limit_requests, remaining_requests, reset_requests (microseconds from now),
--             limit_tokens, remaining_tokens, reset_tokens (microseconds from now); -1 = not advertised
-- Reply: 1

local now = tonumber(ARGV[1])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local names = {'limit_requests', 'remaining_requests', 'reset_requests_at',
               'limit_tokens', 'remaining_tokens', 'reset_tokens_at'}
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'observed_at', string.format('%.0f', now))
for i = 1, 6 do
  local v = tonumber(ARGV[2 + i])
  if v >= 0 then
    if i == 3 or i == 6 then v = now + v end
    redis.call('HSET', KEYS[1], names[i], string.format('%.0f', v))
  end
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
