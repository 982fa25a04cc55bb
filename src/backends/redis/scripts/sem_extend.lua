--[[
  sem_extend: reset the TTL of the token's permits (from now); the fence is unchanged.
  KEYS[1..7] the pool's keys, as in sem_lib.lua
  ARGV[1] wake channel, ARGV[2] token, ARGV[3] ttl ms, or '' for the TTL of the grant or last
  extension (meta l:<token>; 30000 for a holder granted before that field existed)
  Returns {'ok', 1, fence, expiresAt, ttl} when extended; {'ok', 0} when the token holds no permits.
]]
--@include "sem_lib.lua"
local token = ARGV[2]
local now = now_ms()
local changed = purge(now)
local rec = redis.call('HGET', H, token)
if not rec then
  settle(changed)
  return { 'ok', 0 }
end
local fence = tonumber(string.match(rec, '^%d+:(%d+):'))
local ttl = ARGV[3]
if ttl == '' then ttl = redis.call('HGET', M, 'l:' .. token) or '30000' end
redis.call('HSET', M, 'l:' .. token, ttl)
local expires = now + tonumber(ttl)
redis.call('ZADD', E, expires, token)
settle(changed)
return { 'ok', 1, fence, expires, tonumber(ttl) }
