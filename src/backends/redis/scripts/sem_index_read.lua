--[[
  sem_index_read: the pools of one namespace that may have holders: drops the index entries
  whose latest known holder expiry has passed and returns the names left.
  KEYS[1] index zset  pool name -> latest holder expiry known (ms, server clock)
  ARGV: none (no ARGV)
  Returns {'ok', name1, name2, ...}: the names left in the index (by expiry, not by name).
]]
--@include "clock_lib.lua"
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local reply = { 'ok' }
for _, name in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do reply[#reply + 1] = name end
return reply
