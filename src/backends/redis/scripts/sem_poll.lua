--[[
  sem_poll: a queued waiter's turn: granted when it is the head of the queue (every live waiter
  ahead of it was granted or left) and its count fits; else its queue deadline is refreshed. A
  waiter whose place lapsed (it missed its deadline) joins the tail again.
  KEYS[1..7] the pool's keys, as in sem_lib.lua
  ARGV[1..9] as sem_acquire.lua (ARGV[8], the queue deadline ms from now, is above 0)
  Returns {'ok','granted',fence,expiresAt} | {'ok','queued',retryInMs (-1: none)} |
  {'ok','held'} | {'invalid',message}.
]]
--@include "sem_lib.lua"
local token, want, count, ttl = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local lease = tonumber(ARGV[8])
local now, changed = begin_request(token)
if not now then return { 'ok', 'held' } end
local rank = redis.call('ZRANK', Q, token)
if rank then
  queue_join(QUEUE, token, now + lease, count) -- renews its deadline
else
  local err = claim_pool(want, count, ARGV[9])
  if err then
    settle(changed)
    return err
  end
  queue_join(QUEUE, token, now + lease, count)
  rank = redis.call('ZRANK', Q, token)
end
if rank == 0 and fits(count) then
  queue_leave(QUEUE, token)
  local fence, expires = grant(token, count, ttl, ARGV[6], ARGV[7], now)
  settle(true)
  return { 'ok', 'granted', fence, expires }
end
settle(changed)
return { 'ok', 'queued', retry_in(now, token) }
