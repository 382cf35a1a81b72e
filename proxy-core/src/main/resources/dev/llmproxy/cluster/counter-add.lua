-- Adds to usage counters (a day's and a month's) and returns their new values; each key expires at the end of its
-- period, so a new period starts at zero without anything running at midnight.
--
-- KEYS[1..k]  counters
-- ARGV[1]     the amount
-- ARGV[2..]   for each key in order: the end of its period, milliseconds since the epoch (UTC)
-- Reply: the counters' values after the addition

local values = {}
for i = 1, #KEYS do
  values[i] = redis.call('INCRBY', KEYS[i], ARGV[1])
  redis.call('PEXPIREAT', KEYS[i], ARGV[i + 1])
end
return values
