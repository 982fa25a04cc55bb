--[[
  index_lib: the lock index write (listing.ts explains the index), included by listing_touch.lua,
  lock_acquire.lua and lock_extend.lua. On a single Redis (or one behind sentinels), where
  the index shares the node with every lock, the lock scripts call it themselves, which saves the
  client a command per grant; in a Redis Cluster the index has a slot of its own and the client
  runs listing_touch.lua beside the lock's script instead.
  It has no KEYS or ARGV of its own: touch_index(key, now, name, ttl, fraction, grace) is given
  them by its caller (the index is KEYS[1] of listing_touch, KEYS[5] of lock_acquire, KEYS[2] of
  lock_extend; name, fraction and grace are ARGV[7..9] of lock_acquire, ARGV[3..5] of
  lock_extend), with `now` the caller's now_ms() (clock_lib.lua; a script reads the clock once).
  It records in the zset `key` that lock `name` was just granted or extended for `ttl` ms: its
  score is the expiry, ms by this server's clock, plus `fraction` (text in [0, 1) such as "0.417",
  chosen by the caller so that two grants of one lock rarely get the same score; the score is what
  listing_prune compares before it drops an entry), and drops the entries whose expiry passed more
  than `grace` ms ago.
  Returns (touch_index) the number of entries dropped.
]]
local function touch_index(key, now, name, ttl, fraction, grace)
  -- Format by hand: Lua's own number-to-text keeps only 14 digits, which would drop the fraction.
  redis.call('ZADD', key, string.format('%d', now + tonumber(ttl)) .. string.sub(fraction, 2), name)
  return redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. string.format('%d', now - tonumber(grace)))
end
