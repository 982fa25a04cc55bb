--[[
  sem_extend: reset the TTL of the token's permits (from now); the fence is unchanged.
  KEYS[1..7] the pool's keys, as in sem_lib.lua
  ARGV[1] wake channel, ARGV[2] token, ARGV[3] ttl ms
  Returns {'ok', 1, fence, expiresAt} when extended; {'ok', 0} when the token holds no permits.
]]
local token = ARGV[2]
local now = now_ms()
local changed = purge(now)
local rec = redis.call('HGET', H, token)
if not rec then
  settle(changed)
  return { 'ok', 0 }
end
local fence = tonumber(string.match(rec, '^%d+:(%d+):'))
local expires = now + tonumber(ARGV[3])
redis.call('ZADD', E, expires, token)
settle(changed)
return { 'ok', 1, fence, expires }
