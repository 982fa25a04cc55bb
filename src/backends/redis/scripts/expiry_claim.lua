--[[
  expiry_claim: take up to ARGV[2] dicts of the sweep index (KEYS[1], see expiry_note.lua) that
  are due now, or whose earlier claim has lapsed, and claim them for ARGV[1] ms (score -(now + ms)),
  so two sweepers do not work on one dict at once and a sweeper that dies loses its claim.
  Returns {'ok', claim score, name1, name2, ...}.
]]
--@include "clock_lib.lua"
local now = now_ms()
local names = redis.call('ZRANGEBYSCORE', KEYS[1], -now, now, 'LIMIT', 0, tonumber(ARGV[2]))
local claim = -(now + tonumber(ARGV[1]))
for _, name in ipairs(names) do redis.call('ZADD', KEYS[1], claim, name) end
local reply = { 'ok', string.format('%d', claim) }
for _, name in ipairs(names) do reply[#reply + 1] = name end
return reply
