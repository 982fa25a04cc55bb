--[[
  lock_acquire: take the lock if it is free and nobody queued before the caller; otherwise say how
  long until asking again is worth it, and keep (or take) the caller's place in the lock's queue.
  KEYS[1] holder hash (t = token, f = fence, o = owner if given, l = lease ttl ms), expiring with the lease (PEXPIRE)
  KEYS[2] fence counter (string, never expires)
  KEYS[3] queue zset: waiter id -> arrival ticket (FIFO order)
  KEYS[4] alive zset: waiter id -> deadline, ms by the server clock; a waiter not heard from by
          then loses its place (a crashed waiter cannot block the queue)
  ARGV[1] token, ARGV[2] ttl ms, ARGV[3] owner label, ARGV[4] '1' when an owner label is given,
  ARGV[5] waiter id ('' for a caller that does not wait), ARGV[6] queue entry ttl ms
  KEYS[5] (optional, only where it shares the node: not in a cluster) the lock index, written on a
          grant (index_lib.lua, which runs before this script): ARGV[7] lock name, ARGV[8]
          fraction, ARGV[9] grace ms
  Returns {1, fence} when granted (the counter is raised, fence_lib.lua, in the same step and the caller
  leaves the queue); {0, pttl} when held (pttl -1 if the holder key has no TTL); {0, ms, 1} when
  free but promised to the waiter at the head of the queue (ms: until that waiter's entry lapses).
  Queue keys expire ARGV[6] ms after the last waiter was heard from.
]]
local waiter = ARGV[5]
local queued = redis.call('EXISTS', KEYS[3]) == 1
local now = 0
local head = false
if queued then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local dead = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now)
  for _, id in ipairs(dead) do redis.call('ZREM', KEYS[3], id) end
  if #dead > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now) end
  head = redis.call('ZRANGE', KEYS[3], 0, 0)[1] or false
end

if redis.call('EXISTS', KEYS[1]) == 0 and (head == false or head == waiter) then
  if head then
    redis.call('ZREM', KEYS[3], waiter)
    redis.call('ZREM', KEYS[4], waiter)
  end
  local fence = next_fence(KEYS[2])
  redis.call('HSET', KEYS[1], 't', ARGV[1], 'f', fence, 'l', ARGV[2])
  if ARGV[4] == '1' then redis.call('HSET', KEYS[1], 'o', ARGV[3]) end
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  if KEYS[5] then touch_index(KEYS[5], ARGV[7], ARGV[2], ARGV[8], ARGV[9]) end
  return { 1, tonumber(fence) }
end

if waiter ~= '' then
  if not queued then
    local t = redis.call('TIME')
    now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  if not redis.call('ZSCORE', KEYS[3], waiter) then
    local last = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')
    redis.call('ZADD', KEYS[3], (tonumber(last[2]) or 0) + 1, waiter)
  end
  redis.call('ZADD', KEYS[4], now + tonumber(ARGV[6]), waiter)
  redis.call('PEXPIRE', KEYS[3], ARGV[6])
  redis.call('PEXPIRE', KEYS[4], ARGV[6])
end

local pttl = redis.call('PTTL', KEYS[1])
if pttl ~= -2 then return { 0, pttl } end
return { 0, math.max(0, tonumber(redis.call('ZSCORE', KEYS[4], head)) - now), 1 }
