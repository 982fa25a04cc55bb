--[[
  dict_get: read one live entry.
  KEYS[1..6], ARGV[1..5] as in dict_lib.lua (ARGV[3..5] unused: '').
  ARGV[6] key
  Returns {'ok', packed entry} or {'ok', ''} when absent.
]]
return { 'ok', redis.call('HGET', K_ENTRIES, ARGV[6]) or '' }
