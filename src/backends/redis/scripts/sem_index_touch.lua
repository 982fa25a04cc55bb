--[[
  sem_index_touch: record that pool ARGV[1] has a holder for ARGV[2] ms from now in its
  namespace's listing index (the score only grows), drop entries whose time has passed, and keep
  the index only as long as its latest entry. The client sends it beside the grant or extension
  it records (not after it), so it may run just before that script: the entry can then end a
  few microseconds before the holder's lease, which only matters to a listing made in that
  instant, and an entry for a pool whose request was refused is harmless (a listing inspects
  every pool it names and keeps only those with holders).
  KEYS[1] index zset  pool name -> latest holder expiry known (ms, server clock)
  ARGV[1] pool name, ARGV[2] the holder's TTL ms
  Returns {'ok', the number of entries left}.
]]
--@include "clock_lib.lua"
local now = now_ms()
redis.call('ZADD', KEYS[1], 'GT', now + tonumber(ARGV[2]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then redis.call('PEXPIREAT', KEYS[1], tonumber(last[2]) + 1) end
return { 'ok', redis.call('ZCARD', KEYS[1]) }
