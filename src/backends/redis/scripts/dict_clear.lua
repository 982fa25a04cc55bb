--[[
  dict_clear: delete every entry as one version, with one delete change per key. Fences are kept.
  KEYS[1..6], ARGV[1..5] and the fence floor and purge limit last, as in dict_lib.lua (ARGV[3..5] unused: '').
  Due entries past the purge limit are deleted with the rest (as deletes, not expiries).
  Returns {'ok', version, deleted}: the new version (the current one when the dict was empty) and
  how many keys were deleted.
]]
--@include "dict_lib.lua"
purge()
local keys = redis.call('ZRANGE', K_INDEX, 0, -1)
if #keys == 0 then return { 'ok', current_version(), 0 } end
local v = next_version({ 'D', table.concat(keys, '\0') })
redis.call('DEL', K_ENTRIES, K_INDEX, K_TTL)
return { 'ok', v, #keys }
