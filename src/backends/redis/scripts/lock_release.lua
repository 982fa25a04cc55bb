--[[
  lock_release: free the lock if the token holds it, and tell waiters on its channel.
  KEYS[1] holder hash, KEYS[2] queue zset (waiter id -> ticket), KEYS[3] alive zset (waiter id ->
  deadline ms; see lock_acquire)
  ARGV[1] token, ARGV[2] the lock's release channel
  Returns {'ok', 1} when released and published; {'ok', 0} when the token did not hold the lock. The message is
  'w:<waiter id>' of the first live waiter in the queue (only that waiter may take the lock next),
  or '*' when nobody is queued (every listener re-checks). The clock and queue libraries are
  included inside the branch that reads the queue, so a release nobody waits for does not define
  their functions.
]]
if redis.call('HGET', KEYS[1], 't') ~= ARGV[1] then return { 'ok', 0 } end
redis.call('DEL', KEYS[1])
local head = false
if redis.call('EXISTS', KEYS[2]) == 1 then
  --@include "clock_lib.lua"
  --@include "queue_lib.lua"
  head = queue_next({ order = KEYS[2], deadline = KEYS[3] }, now_ms()) or false
end
redis.call('PUBLISH', ARGV[2], head and ('w:' .. head) or '*')
return { 'ok', 1 }
