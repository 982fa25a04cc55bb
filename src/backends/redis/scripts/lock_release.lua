--[[
  lock_release: free the lock if the token holds it, and tell waiters on its channel.
  KEYS[1] holder hash
  ARGV[1] token, ARGV[2] the lock's release channel
  Returns 1 when released (and published); 0 when the token did not hold the lock.
]]
if redis.call('HGET', KEYS[1], 't') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], '1')
return 1
