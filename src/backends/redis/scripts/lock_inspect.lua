--[[
  lock_inspect: the public state of a lock; never its token.
  KEYS[1] holder hash, KEYS[2] fence counter
  ARGV: none (no ARGV)
  Returns {'ok', last fence granted (0 if never), held (1|0), owner label (false if none), pttl, now ms
  (server clock)}.
]]
--@include "clock_lib.lua"
local now = now_ms()
local fence = tonumber(redis.call('GET', KEYS[2]) or '0')
if redis.call('EXISTS', KEYS[1]) == 0 then return { 'ok', fence, 0, false, -2, string.format('%d', now) } end
local owner = redis.call('HGET', KEYS[1], 'o')
return { 'ok', fence, 1, owner, redis.call('PTTL', KEYS[1]), string.format('%d', now) }
