--[[
  fence_lib: the next fence of a lock or pool, included by lock_acquire.lua and sem_lib.lua. A
  fence is max(last + 1, now * 1024), `now` this server's clock in ms (clock_lib.lua's now_ms(),
  read by the caller: a script reads the clock once, as a Redis TIME costs as much as a small
  command). It grows by one per grant, and by the server clock too, so that a replica promoted
  after a failover, whose counter lost the master's last grants (asynchronous replication) or a
  server restarted empty, still issues fences above every fence issued before (docs/SAFETY.md,
  "Fences across failover", states the clock assumption). 1024 per millisecond is far more
  grants than one lock gets; fences stay below 2^53 until the year 2248.
  The counter is written as text formatted by hand: Lua's own number-to-text keeps 14 digits.
  KEYS[1..]: none of its own; next_fence(key, now) is given the caller's fence counter key (a
  string key, read with GET and written with SET) and its now_ms(); no ARGV.
  Returns: next_fence(key, now) returns the fence as text (callers store it and return tonumber of it).
]]
local function next_fence(key, now)
  local floor = now * 1024
  local last = tonumber(redis.call('GET', key) or '0')
  local fence = string.format('%.0f', math.max(last + 1, floor))
  redis.call('SET', key, fence)
  return fence
end
