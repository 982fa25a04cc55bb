--[[
  sem_leave: a waiter gives up (timed out, aborted, closed, or failed): it leaves the queue, and
  if a grant reached the store but not the caller, that grant is returned too.
  KEYS[1..7] the pool's keys, as in sem_lib.lua
  ARGV[1] wake channel, ARGV[2] token
  Returns {'ok', 1} when the token was queued or held permits, {'ok', 0} otherwise.
]]
--@include "sem_lib.lua"
local token = ARGV[2]
local changed = purge(now_ms())
local first = head()
local left = queue_leave(QUEUE, token)
if left and first == token then changed = true end
if drop_holder(token) then
  left = true
  changed = true
end
settle(changed)
return { 'ok', left and 1 or 0 }
