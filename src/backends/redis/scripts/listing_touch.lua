--[[
  listing_touch: record in the lock index that a lock was just granted or extended, and drop the
  entries whose expiry passed more than a grace period ago (a holder that crashed, or a lock
  released and never listed since): index_lib.lua's touch_index.
  KEYS[1] lock index zset: lock name -> expiry (see index_lib.lua)
  ARGV[1] lock name, ARGV[2] ttl ms, ARGV[3] fraction (text such as "0.417"), ARGV[4] grace ms
  Returns {'ok', the number of stale entries dropped}.
]]
--@include "clock_lib.lua"
--@include "index_lib.lua"
return { 'ok', touch_index(KEYS[1], now_ms(), ARGV[1], ARGV[2], ARGV[3], ARGV[4]) }
