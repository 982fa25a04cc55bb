--[[
  lock_extend: reset the lease TTL if the token holds the lock.
  KEYS[1] holder hash
  ARGV[1] token, ARGV[2] ttl ms, or '' for the ttl of the grant or last extension (field l)
  ARGV[3] lock name, ARGV[4] fraction, ARGV[5] grace ms: the lock index entry of the extension
  (index_lib.lua), written here only when the index shares the node (not in a cluster): KEYS[2]
  the lock index (registered with 1 or 2 KEYS by the client's deployment, as lock_acquire.lua)
  Returns {'ok', 1, fence, ttl} when extended; {'ok', 0} when the token does not hold the lock.
  A holder written before field l existed, extended with '', keeps 30000 ms (the default TTL).
]]
--@include "clock_lib.lua"
--@include "index_lib.lua"
if redis.call('HGET', KEYS[1], 't') ~= ARGV[1] then return { 'ok', 0 } end
local ttl = ARGV[2]
if ttl == '' then ttl = redis.call('HGET', KEYS[1], 'l') or '30000' end
redis.call('HSET', KEYS[1], 'l', ttl)
redis.call('PEXPIRE', KEYS[1], ttl)
if KEYS[2] then touch_index(KEYS[2], now_ms(), ARGV[3], ttl, ARGV[4], ARGV[5]) end
return { 'ok', 1, tonumber(redis.call('HGET', KEYS[1], 'f')), tonumber(ttl) }
