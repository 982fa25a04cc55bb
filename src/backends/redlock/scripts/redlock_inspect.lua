--[[
  redlock_inspect: one master's view of a lock, for a Redlock inspect; never the token.
  KEYS[1] holder hash, KEYS[2] fence counter
  ARGV: none (no ARGV)
  Returns {'ok', counter (0 if never granted), held (1|0), sha1(holder token) (false if free),
  holder fence (0 if free), owner label (false if none), pttl (-2 if free), now ms (server clock)}.
]]
--@include "clock_lib.lua"
local now = string.format('%d', now_ms())
local counter = tonumber(redis.call('GET', KEYS[2]) or '0')
if redis.call('EXISTS', KEYS[1]) == 0 then return { 'ok', counter, 0, false, 0, false, -2, now } end
local h = redis.call('HMGET', KEYS[1], 't', 'f', 'o')
return { 'ok', counter, 1, redis.sha1hex(h[1] or ''), tonumber(h[2] or '0'), h[3], redis.call('PTTL', KEYS[1]), now }
