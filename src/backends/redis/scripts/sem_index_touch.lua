--[[
  sem_index_touch: record that pool ARGV[1] has a holder until ARGV[2] in its namespace's
  listing index (the score only grows), drop entries whose time has passed, and keep the index
  only as long as its latest entry.
  KEYS[1] index zset  pool name -> latest holder expiry known (ms, server clock)
  ARGV[1] pool name, ARGV[2] holder's expiresAt ms
  Returns the number of entries left.
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then redis.call('PEXPIREAT', KEYS[1], tonumber(last[2]) + 1) end
return redis.call('ZCARD', KEYS[1])
