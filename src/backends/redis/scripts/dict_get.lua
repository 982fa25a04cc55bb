--[[
  dict_get: read one live entry. Not built on dict_lib.lua: a read needs neither the purge nor
  the revision, so it runs one HGET (and TIME only for an entry with a TTL) instead of the
  prelude's TIME + ZRANGEBYSCORE. An entry whose expiresAt has passed reads as absent; a later
  purge step (every other dict script, a watcher, the background sweep) deletes it and records
  its "e" change, exactly as if it had been purged before this read.

  KEYS[1] entries hash (dict_lib.lua's KEYS[1])
  ARGV[1] key
  Returns {'ok', packed entry} or {'ok', ''} when absent or expired.
]]
--@include "clock_lib.lua"
local packed = redis.call('HGET', KEYS[1], ARGV[1])
if not packed then return { 'ok', '' } end
local a = string.find(packed, ':', 1, true)
local b = string.find(packed, ':', a + 1, true)
if b > a + 1 then
  if tonumber(string.sub(packed, a + 1, b - 1)) <= now_ms() then return { 'ok', '' } end
end
return { 'ok', packed }
