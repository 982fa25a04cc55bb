--[[
  dict_pop: remove one entry and return what it held.
  KEYS[1..6], ARGV[1..5] and the fence floor and purge limit last, as in dict_lib.lua; KEYS[7] the fence scope's issued-fence counter and KEYS[8] the lock's holder key (see dict_lib.lua).
  ARGV[6] key
  Returns {'ok', packed entry} or {'ok', ''} when absent (nothing changes then).
  Errors: {'fence', lock, fence, detail}.
]]
--@include "dict_lib.lua"
local key = ARGV[6]
local refused, existing = read_for_write(key)
if refused then return refused end
if not existing then return { 'ok', '' } end
next_version({ 'd' .. key, '' })
remove(key)
record_fence()
return { 'ok', existing }
