--[[
  lock_leave: take a waiter that gives up (timed out, aborted, closed) out of the lock's queue; if
  it was first in line and the lock is free, wake the waiter that is first now.
  KEYS[1] holder hash, KEYS[2] queue zset (waiter id -> ticket), KEYS[3] alive zset (waiter id ->
  deadline ms; see lock_acquire)
  ARGV[1] waiter id, ARGV[2] the lock's release channel
  Returns {'ok', 1} when the waiter was queued (and is not any more), {'ok', 0} when it was not.
]]
--@include "clock_lib.lua"
--@include "queue_lib.lua"
local QUEUE = { order = KEYS[2], deadline = KEYS[3] }
local first = queue_head(QUEUE) == ARGV[1]
local was = queue_leave(QUEUE, ARGV[1])
if first and redis.call('EXISTS', KEYS[1]) == 0 then
  local head = queue_next(QUEUE, now_ms())
  if head then redis.call('PUBLISH', ARGV[2], 'w:' .. head) end
end
return { 'ok', was and 1 or 0 }
