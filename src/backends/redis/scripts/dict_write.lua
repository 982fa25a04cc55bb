--[[
  dict_write: set and delete, one or many keys, all or nothing, as one version (set, delete, batch).
  KEYS[1..6], ARGV[1..5] and the fence floor and purge limit last, as in dict_lib.lua; KEYS[7] the fence scope's issued-fence counter and KEYS[8] the lock's holder key (see dict_lib.lua).
  ARGV[6] number of ops n; then 5 arguments per op:
          kind ('s' set | 'd' delete), key, ifVersion ('' for none, 0 = absent), ttl ms ('' for none), value ('' for delete)
  Returns {'ok', version, changed}: the new version and how many keys changed; when nothing
  changed (only deletes of absent keys) the current version and 0.
  Errors: {'conflict', key, expected, actual} (nothing applied), {'fence', lock, fence, detail}.
]]
--@include "dict_lib.lua"
local n = tonumber(ARGV[6])
local ops, touched = {}, {}
for i = 0, n - 1 do
  local base = 7 + i * 5
  ops[#ops + 1] = { ARGV[base], ARGV[base + 1], ARGV[base + 2], ARGV[base + 3], ARGV[base + 4] }
  touched[#touched + 1] = ARGV[base + 1]
end
purge(touched)
return write_ops(ops)
