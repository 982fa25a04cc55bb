--[[
  sem_release: return the token's permits and wake the queue if its head fits now.
  KEYS[1..7] the pool's keys, as in sem_lib.lua
  ARGV[1] wake channel, ARGV[2] token
  Returns {'ok', 1} when released; {'ok', 0} when the token held no permits (or its lease ended).
]]
--@include "sem_lib.lua"
local changed = purge(now_ms())
local released = drop_holder(ARGV[2])
settle(changed or released)
return { 'ok', released and 1 or 0 }
