--[[
  dict_write: set and delete, one or many keys, all or nothing, as one version (set, delete, batch).
  KEYS[1..6], ARGV[1..5] and the purge limit last, as in dict_lib.lua; KEYS[7] the fence scope's issued-fence counter and KEYS[8] the lock's holder key (see dict_lib.lua).
  ARGV[6] number of ops n; then 5 arguments per op:
          kind ('s' set | 'd' delete), key, ifVersion ('' for none, 0 = absent), ttl ms ('' for none), value ('' for delete)
  Returns {'ok', version, changed}: the new version and how many keys changed; when nothing
  changed (only deletes of absent keys) the current version and 0.
  Errors: {'conflict', key, expected, actual} (nothing applied), {'fence', lock, fence, detail}.
]]
local n = tonumber(ARGV[6])
local touched = {}
for i = 0, n - 1 do touched[#touched + 1] = ARGV[8 + i * 5] end
purge(touched)
for i = 0, n - 1 do
  local base = 7 + i * 5
  local if_version = ARGV[base + 2]
  if if_version ~= '' then
    local key = ARGV[base + 1]
    local actual = version_of(key)
    if actual ~= tonumber(if_version) then return { 'conflict', key, if_version, int(actual) } end
  end
end
local refused = check_fence()
if refused then return refused end

local fields = {}
for i = 0, n - 1 do
  local base = 7 + i * 5
  local kind, key = ARGV[base], ARGV[base + 1]
  if kind == 's' then
    if ARGV[base + 3] == '' then
      fields[#fields + 1] = 's' .. key
    else
      fields[#fields + 1] = 't' .. key
    end
    fields[#fields + 1] = ARGV[base + 4]
  elseif redis.call('HEXISTS', K_ENTRIES, key) == 1 then
    fields[#fields + 1] = 'd' .. key
    fields[#fields + 1] = ''
  end
end
if #fields == 0 then return { 'ok', current_version(), 0 } end

local v = next_version(fields)
for i = 0, n - 1 do
  local base = 7 + i * 5
  local key = ARGV[base + 1]
  if ARGV[base] == 's' then
    put(key, ARGV[base + 4], v, expiry_of(ARGV[base + 3]))
  else
    remove(key)
  end
end
record_fence()
return { 'ok', v, #fields / 2 }
