--[[
  listing_touch: record in the lock index that a lock was just granted or extended, and drop the
  entries whose expiry passed more than a grace period ago (a holder that crashed, or a lock
  released and never listed since).
  KEYS[1] lock index zset: lock name -> expiry, ms by this server's clock, plus a fraction in
          [0, 1) chosen by the caller so that two grants of one lock rarely get the same score
          (the score is what listing_prune compares before it drops an entry)
  ARGV[1] lock name, ARGV[2] ttl ms, ARGV[3] fraction (text such as "0.417"), ARGV[4] grace ms
  Returns the number of stale entries dropped.
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
-- Format by hand: Lua's own number-to-text keeps only 14 digits, which would drop the fraction.
redis.call('ZADD', KEYS[1], string.format('%d', now + tonumber(ARGV[2])) .. string.sub(ARGV[3], 2), ARGV[1])
return redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. string.format('%d', now - tonumber(ARGV[4])))
