--[[
  dict_state: the dict's version, size, oldest retained change and next expiry (size, version,
  and the watch loop, which also calls it to reap expired entries when nobody else touches the dict).
  KEYS[1..6], ARGV[1..5] and the fence floor and purge limit last, as in dict_lib.lua (ARGV[3..5] unused: '').
  Purges at most the purge limit; size counts live entries only (due ones not yet purged excluded),
  and next expiry is at or before now while due entries remain (the sweep, expiry-sweep.ts, reads that).
  Returns {'ok', version, size, oldest version in the stream ('' when empty),
           next expiresAt ('' when none), now, history id ('' when never written)}
  (times in ms since the epoch by this server's clock).
]]
--@include "dict_lib.lua"
purge()
local oldest = ''
local first = redis.call('XRANGE', K_CHANGES, '-', '+', 'COUNT', 1)
if first[1] then oldest = string.match(first[1][1], '^(%d+)') end
local next_expiry = ''
local due = redis.call('ZRANGE', K_TTL, 0, 0, 'WITHSCORES')
if due[2] then next_expiry = due[2] end
local history = history_id()
return { 'ok', current_version(), redis.call('HLEN', K_ENTRIES) - redis.call('ZCOUNT', K_TTL, '-inf', now()), oldest, next_expiry, int(now()), history }
