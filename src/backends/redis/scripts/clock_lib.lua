--[[
  clock_lib: now_ms(), this server's clock in whole milliseconds since the epoch (Redis TIME),
  for every script that reads the clock (`--@include "clock_lib.lua"`, scripts.ts).
  KEYS[1..]: none of its own; no ARGV.
  Returns: now_ms() returns the time as a Lua number (exact: far below 2^53).
]]
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
