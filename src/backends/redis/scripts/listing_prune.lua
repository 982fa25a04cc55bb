--[[
  listing_prune: drop lock index entries that a reader found free, unless they changed after it
  read them (a new grant rewrites the score, so its entry stays).
  KEYS[1] lock index zset (see listing_touch.lua)
  ARGV[1], ARGV[2], … pairs: lock name, and the score the reader saw for it (as Redis wrote it)
  Returns {'ok', the number of entries dropped}.
]]
local dropped = 0
for i = 1, #ARGV, 2 do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    dropped = dropped + redis.call('ZREM', KEYS[1], ARGV[i])
  end
end
return { 'ok', dropped }
