--[[
  dict_list: one page of live entries in key (byte) order, optionally under a prefix.
  KEYS[1..6], ARGV[1..5] and the fence floor and purge limit last, as in dict_lib.lua (ARGV[3..5] unused: '').
  ARGV[6] prefix ('' for all), ARGV[7] the ZRANGEBYLEX min: '[<prefix>', or '(<key>' to list
  after a cursor key (chosen by the caller, which compares bytes; Lua's < follows the locale),
  ARGV[8] limit, ARGV[9] '1' to return keys only
  Entries past their expiry that purge() has not reached yet are skipped; at most limit + 1 +
  purge limit keys are read, so a page may hold fewer than `limit` entries and still have more.
  Returns {'ok', dict version, more (1|0), key to resume after ('' when no more),
           history id ('' when never written), key1, packed1, key2, packed2, ...}
  (packed is '' with keys only).
]]
--@include "dict_lib.lua"
purge()
local prefix, min, limit = ARGV[6], ARGV[7], tonumber(ARGV[8])
local max = '+'
if prefix ~= '' then max = '(' .. prefix .. '\255' end
if min == '[' then min = '-' end
local keys_only = ARGV[9] == '1'
local found, budget = {}, limit + 1 + PURGE_LIMIT
local more, resume, last, done = 0, '', nil, false
while not done do
  local keys = redis.call('ZRANGEBYLEX', K_INDEX, min, max, 'LIMIT', 0, limit + 1)
  for _, key in ipairs(keys) do
    local packed = redis.call('HGET', K_ENTRIES, key)
    if is_live(packed) then
      if #found == 2 * limit then
        more, resume, done = 1, last, true
        break
      end
      found[#found + 1] = key
      if keys_only then packed = '' end
      found[#found + 1] = packed
      last = key
    end
    budget = budget - 1
    if budget == 0 then
      more, resume, done = 1, key, true
      break
    end
  end
  if not done and #keys <= limit then done = true end
  if not done then min = '(' .. keys[#keys] end
end
local reply = { 'ok', current_version(), more, resume, history_id() }
for _, v in ipairs(found) do reply[#reply + 1] = v end
return reply
