--[[
  sem_acquire: one attempt to take permits, the first of an acquire. Granted only when nobody
  waits (after waiters past their deadline are dropped) and the count fits; otherwise the caller
  joins the tail of the queue, or, trying once, goes away.
  KEYS[1..7] the pool's keys, as in sem_lib.lua
  ARGV[1] wake channel, ARGV[2] token, ARGV[3] permits, ARGV[4] count, ARGV[5] ttl ms,
  ARGV[6] owner label, ARGV[7] '1' when an owner label is given, ARGV[8] queue deadline ms from
  now ('0': try once, do not queue), ARGV[9] the pool's label for messages (semaphore/<name>)
  Returns {'ok','granted',fence,expiresAt} | {'ok','queued',retryInMs (-1: none)} |
  {'ok','busy'} (tried once, not granted) | {'ok','held'} (the token already holds permits here)
  | {'invalid',message} (permits differ from the pool's in use, or count exceeds them).
]]
--@include "sem_lib.lua"
local token, want, count, ttl = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local lease = tonumber(ARGV[8])
local now, changed = begin_request(token)
if not now then return { 'ok', 'held' } end
local err = claim_pool(want, count, ARGV[9])
if err then
  settle(changed)
  return err
end
if redis.call('ZCARD', Q) == 0 and fits(count) then
  local fence, expires = grant(token, count, ttl, ARGV[6], ARGV[7], now)
  settle(changed)
  return { 'ok', 'granted', fence, expires }
end
if lease <= 0 then
  settle(changed)
  return { 'ok', 'busy' }
end
queue_join(QUEUE, token, now + lease, count)
settle(changed)
return { 'ok', 'queued', retry_in(now, token) }
