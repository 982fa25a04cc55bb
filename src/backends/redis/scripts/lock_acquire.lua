--[[
  lock_acquire: take the lock if it is free, or report how long the holder keeps it.
  KEYS[1] holder hash (t = token, f = fence, o = owner if given), expiring with the lease (PEXPIRE)
  KEYS[2] fence counter (string, never expires)
  ARGV[1] token, ARGV[2] ttl ms, ARGV[3] owner label, ARGV[4] '1' when an owner label is given
  Returns {1, fence} when granted (the counter is incremented in the same step);
  {0, pttl} when held (pttl -1 if the holder key has no TTL).
]]
if redis.call('EXISTS', KEYS[1]) == 1 then
  return { 0, redis.call('PTTL', KEYS[1]) }
end
local fence = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 't', ARGV[1], 'f', fence)
if ARGV[4] == '1' then redis.call('HSET', KEYS[1], 'o', ARGV[3]) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return { 1, fence }
