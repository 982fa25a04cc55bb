--[[
  dict_list: one page of live entries in key (byte) order, optionally under a prefix.
  KEYS[1..6], ARGV[1..5] as in dict_lib.lua (ARGV[3..5] unused: '').
  ARGV[6] prefix ('' for all), ARGV[7] the ZRANGEBYLEX min: '[<prefix>', or '(<key>' to list
  after a cursor key (chosen by the caller, which compares bytes; Lua's < follows the locale),
  ARGV[8] limit, ARGV[9] '1' to return keys only
  Returns {'ok', dict version, more (1|0), history id ('' when never written), key1, packed1, key2,
  packed2, ...} (packed is '' with keys only).
]]
local prefix, min, limit = ARGV[6], ARGV[7], tonumber(ARGV[8])
local max = '+'
if prefix ~= '' then max = '(' .. prefix .. '\255' end
if min == '[' then min = '-' end
local keys = redis.call('ZRANGEBYLEX', K_INDEX, min, max, 'LIMIT', 0, limit + 1)
local more = 0
if #keys > limit then
  more = 1
  keys[#keys] = nil
end
local reply = { 'ok', current_version(), more, history_id() }
local keys_only = ARGV[9] == '1'
for _, key in ipairs(keys) do
  reply[#reply + 1] = key
  if keys_only then
    reply[#reply + 1] = ''
  else
    reply[#reply + 1] = redis.call('HGET', K_ENTRIES, key) or ''
  end
end
return reply
