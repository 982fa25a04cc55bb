--[[
  sem_index_read: the pools of one namespace that may have holders: drops the index entries
  whose latest known holder expiry has passed and returns the names left.
  KEYS[1] index zset  pool name -> latest holder expiry known (ms, server clock)
  ARGV: none (no ARGV)
  Returns the names left in the index (by expiry, not by name).
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGE', KEYS[1], 0, -1)
