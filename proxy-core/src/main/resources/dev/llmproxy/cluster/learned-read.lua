-- Reads what every replica knows about an upstream scope: the limits it last advertised and the pause in force.
--
-- KEYS[1]  the scope's hash of advertised limits
-- KEYS[2]  the scope's pause key
-- ARGV[1]  now in microseconds, or -1 for the server's TIME
-- Reply: {now, pause end (or -1), observed_at, limit_requests, remaining_requests, reset_requests_at, limit_tokens,
--         remaining_tokens, reset_tokens_at}; -1 for what is not known. Times in microseconds since the epoch.

local now = tonumber(ARGV[1])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local fields = redis.call('HMGET', KEYS[1], 'observed_at', 'limit_requests', 'remaining_requests',
    'reset_requests_at', 'limit_tokens', 'remaining_tokens', 'reset_tokens_at')
local reply = {string.format('%.0f', now), redis.call('GET', KEYS[2]) or '-1'}
for i = 1, 7 do
  reply[2 + i] = fields[i] or '-1'
end
return reply
