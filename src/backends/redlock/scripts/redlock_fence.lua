--[[
  redlock_fence: write a Redlock grant's fence back to one master before the lease is returned.
  Raises the master's fence counter to at least the fence (never lowers it), and records the
  fence in the holder hash when the token still holds the lock there (extend reads it back).
  KEYS[1] holder hash, KEYS[2] fence counter
  ARGV[1] token, ARGV[2] fence (a positive integer, as decimal text)
  Returns {'ok', 1} when the token holds the lock here (counter raised, fence recorded); {'ok', 0}
  when it does not (the counter is raised all the same).
]]
local fence = tonumber(ARGV[2])
if tonumber(redis.call('GET', KEYS[2]) or '0') < fence then redis.call('SET', KEYS[2], ARGV[2]) end
if redis.call('HGET', KEYS[1], 't') ~= ARGV[1] then return { 'ok', 0 } end
redis.call('HSET', KEYS[1], 'f', ARGV[2])
return { 'ok', 1 }
