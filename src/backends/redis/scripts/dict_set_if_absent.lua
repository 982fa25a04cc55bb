--[[
  dict_set_if_absent: store a value only when the key is absent.
  KEYS[1..6], ARGV[1..5] and the fence floor and purge limit last, as in dict_lib.lua; KEYS[7] the fence scope's issued-fence counter and KEYS[8] the lock's holder key (see dict_lib.lua).
  ARGV[6] key, ARGV[7] value, ARGV[8] ttl ms ('' for none)
  Returns {'ok', created (1|0), packed entry now stored}.
  Errors: {'fence', lock, fence, detail}.
]]
--@include "dict_lib.lua"
local key = ARGV[6]
local refused, existing = read_for_write(key)
if refused then return refused end
if existing then return { 'ok', 0, existing } end
local field = 's' .. key
if ARGV[8] ~= '' then field = 't' .. key end
local v = next_version({ field, ARGV[7] })
put(key, ARGV[7], v, expiry_of(ARGV[8]))
record_fence()
return { 'ok', 1, redis.call('HGET', K_ENTRIES, key) }
