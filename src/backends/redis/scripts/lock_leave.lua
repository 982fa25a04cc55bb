--[[
  lock_leave: take a waiter that gives up (timed out, aborted, closed) out of the lock's queue; if
  it was first in line and the lock is free, wake the waiter that is first now.
  KEYS[1] holder hash, KEYS[2] queue zset (waiter id -> ticket), KEYS[3] alive zset (waiter id ->
  deadline ms; see lock_acquire)
  ARGV[1] waiter id, ARGV[2] the lock's release channel
  Returns {'ok', 1} when the waiter was queued (and is not any more), {'ok', 0} when it was not.
]]
--@include "clock_lib.lua"
local first = redis.call('ZRANK', KEYS[2], ARGV[1]) == 0
local was = redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
if first and redis.call('EXISTS', KEYS[1]) == 0 then
  local now = now_ms()
  local dead = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)
  for _, id in ipairs(dead) do redis.call('ZREM', KEYS[2], id) end
  if #dead > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now) end
  local head = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
  if head then redis.call('PUBLISH', ARGV[2], 'w:' .. head) end
end
return { 'ok', was }
