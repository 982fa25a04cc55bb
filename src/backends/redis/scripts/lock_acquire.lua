--[[
  lock_acquire: take the lock if it is free and nobody queued before the caller; otherwise say how
  long until asking again is worth it, and keep (or take) the caller's place in the lock's queue
  (queue_lib.lua, the queue pools use too: a lock is its one-permit case).
  KEYS[1] holder hash (t = token, f = fence, o = owner if given, l = lease ttl ms), expiring with the lease (PEXPIRE)
  KEYS[2] fence counter (string, never expires)
  KEYS[3] queue zset: waiter id -> arrival ticket (FIFO order)
  KEYS[4] alive zset: waiter id -> deadline, ms by the server clock; a waiter not heard from by
          then loses its place (a crashed waiter cannot block the queue)
  ARGV[1] token, ARGV[2] ttl ms, ARGV[3] owner label, ARGV[4] '1' when an owner label is given,
  ARGV[5] waiter id ('' for a caller that does not wait), ARGV[6] queue entry ttl ms
  ARGV[7] lock name, ARGV[8] fraction, ARGV[9] grace ms: the lock index entry of a grant
  (index_lib.lua), written here only when the index shares the node, i.e. not in a cluster:
  KEYS[5] the lock index. The script set of a client registers this script with 4 or 5 KEYS once,
  by its deployment (scripts.ts); in a cluster the client writes the index beside this script.
  Returns {'ok', 'granted', fence} when granted (the counter is raised, fence_lib.lua, in the same
  step and the caller leaves the queue); {'ok', 'held', pttl} when held (pttl -1 if the holder key
  has no TTL); {'ok', 'promised', ms} when free but promised to the waiter at the head of the
  queue (ms: until that waiter's entry lapses).
  Queue keys expire ARGV[6] ms after the last waiter was heard from.
  An uncontended lock (no holder, no queue) is granted on a path that neither reads the queue nor
  defines the queue library's functions (it is included inside the contended branch).
]]
--@include "clock_lib.lua"
--@include "fence_lib.lua"
--@include "index_lib.lua"
local waiter = ARGV[5]
local now = false

-- EXISTS of both keys at once: 0 when the lock is free and nobody queues, the common case.
local taken = redis.call('EXISTS', KEYS[1], KEYS[3])
if taken > 0 then
  --@include "queue_lib.lua"
  local QUEUE = { order = KEYS[3], deadline = KEYS[4] }
  local queued = redis.call('EXISTS', KEYS[3]) == 1
  local free = taken == (queued and 1 or 0)
  local head = false
  if queued then
    now = now_ms()
    head = queue_next(QUEUE, now) or false
  end
  if free and (head == false or head == waiter) then
    if head then queue_leave(QUEUE, waiter) end
  else
    if waiter ~= '' then
      now = now or now_ms()
      queue_join(QUEUE, waiter, now + tonumber(ARGV[6]))
      redis.call('PEXPIRE', KEYS[3], ARGV[6])
      redis.call('PEXPIRE', KEYS[4], ARGV[6])
    end
    local pttl = redis.call('PTTL', KEYS[1])
    if pttl ~= -2 then return { 'ok', 'held', pttl } end
    return { 'ok', 'promised', math.max(0, tonumber(redis.call('ZSCORE', KEYS[4], head)) - now) }
  end
end

now = now or now_ms()
local fence = next_fence(KEYS[2], now)
if ARGV[4] == '1' then
  redis.call('HSET', KEYS[1], 't', ARGV[1], 'f', fence, 'l', ARGV[2], 'o', ARGV[3])
else
  redis.call('HSET', KEYS[1], 't', ARGV[1], 'f', fence, 'l', ARGV[2])
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if KEYS[5] then touch_index(KEYS[5], now, ARGV[7], ARGV[2], ARGV[8], ARGV[9]) end
return { 'ok', 'granted', tonumber(fence) }
