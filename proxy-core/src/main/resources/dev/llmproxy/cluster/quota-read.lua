-- Reads the learned quota state still in force, for a replica that starts, or that may have missed news while its
-- subscription was down; drops what has expired.
--
-- KEYS[1]  the hash of learned quota state (see quota-learn.lua)
-- ARGV[1]  now in microseconds, or -1 for the server's TIME
-- Reply: flat list of '<kind> <microseconds left> <limit> <model>', the channel's message format

-- #include prelude.lua

local now = clock(ARGV[1])
local reply = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local field, value = all[i], all[i + 1]
  local sep = string.find(value, ' ', 1, true)
  local ends = tonumber(string.sub(value, 1, sep - 1))
  if ends > now then
    local space = string.find(field, ' ', 1, true)
    reply[#reply + 1] = string.sub(field, 1, space - 1) .. ' ' .. string.format('%.0f', ends - now) .. ' '
        .. string.sub(value, sep + 1) .. ' ' .. string.sub(field, space + 1)
  else
    redis.call('HDEL', KEYS[1], field)
  end
end
return reply
