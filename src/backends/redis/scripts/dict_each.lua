--[[
  dict_each: several independent calls on one dict, coalesced by the client into one script call
  (dicts.ts, Coalescer): each call is applied as it would be by its own script (get as dict_get,
  set and delete as dict_write with one op, incr as dict_incr), in the order given, each with its
  own version and its own reply. One call's refusal (conflict, type, overflow) or failure
  (a Redis error inside it, caught with pcall) does not stop the others. Never fenced: fenced
  calls run their own script.
  KEYS[1..6], ARGV[1..5] and the fence floor and purge limit last, as in dict_lib.lua (ARGV[3..5] unused: '').
  ARGV[6] number of calls n; then 5 arguments per call:
          kind ('g' get | 's' set | 'd' delete | 'i' incr), key, ifVersion ('' for none, 0 = absent),
          ttl ms ('' for none), value ('' for get and delete; the amount for incr)
  One purge step first, for every key the calls touch (so their expiries are in the stream
  before any call's change), as each call's own script would have run it.
  Watchers get one change message for the whole call (they read the stream on any message).
  Returns {'ok', reply1, reply2, ...}: each call's reply as its own script returns it, or
  {'error', message} for a call that raised.
]]
--@include "dict_lib.lua"
PUBLISH_LATER = true -- one change message for the whole call, after the last version
local n = tonumber(ARGV[6])
local touched = {}
for i = 0, n - 1 do touched[#touched + 1] = ARGV[8 + i * 5] end
purge(touched)

local function one(kind, key, if_version, ttl, value)
  if kind == 'g' then
    local packed = redis.call('HGET', K_ENTRIES, key)
    if not is_live(packed) then return { 'ok', '' } end
    return { 'ok', packed }
  elseif kind == 'i' then
    return incr_op(key, value)
  end
  return write_ops({ { kind, key, if_version, ttl, value } })
end

local replies = { 'ok' }
for i = 0, n - 1 do
  local base = 7 + i * 5
  local ok, reply = pcall(one, ARGV[base], ARGV[base + 1], ARGV[base + 2], ARGV[base + 3], ARGV[base + 4])
  if not ok then
    if type(reply) == 'table' and reply.err then reply = reply.err end
    reply = { 'error', tostring(reply) }
  end
  replies[#replies + 1] = reply
end
publish_pending()
return replies
