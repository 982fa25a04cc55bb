--[[
  sem_inspect: the public state of a pool, never a token (expired holders and lapsed waiters are
  dropped first, waking the queue if that lets its head in).
  KEYS[1..7] the pool's keys, as in sem_lib.lua
  ARGV[1] wake channel
  Returns {'ok', permits (0: unused), used, last fence (0: never granted), waiting, then per
  holder: count, fence, expiresAt, owner (false if none)}, holders in no particular order.
]]
--@include "sem_lib.lua"
settle(purge(now_ms()))
local out = { 'ok', permits(), used(), tonumber(redis.call('GET', F) or '0'), redis.call('ZCARD', Q) }
local all = redis.call('HGETALL', H)
for i = 1, #all, 2 do
  local count, fence, flag, owner = string.match(all[i + 1], '^(%d+):(%d+):(%d)(.*)$')
  out[#out + 1] = tonumber(count)
  out[#out + 1] = tonumber(fence)
  out[#out + 1] = tonumber(redis.call('ZSCORE', E, all[i]) or '0')
  if flag == '1' then out[#out + 1] = owner else out[#out + 1] = false end
end
return out
