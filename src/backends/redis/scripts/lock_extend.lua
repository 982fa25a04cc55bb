--[[
  lock_extend: reset the lease TTL if the token holds the lock.
  KEYS[1] holder hash
  ARGV[1] token, ARGV[2] ttl ms
  Returns {1, fence} when extended; {0} when the token does not hold the lock.
]]
if redis.call('HGET', KEYS[1], 't') ~= ARGV[1] then return { 0 } end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return { 1, tonumber(redis.call('HGET', KEYS[1], 'f')) }
