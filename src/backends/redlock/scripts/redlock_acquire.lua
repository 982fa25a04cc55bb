--[[
  redlock_acquire: one master's part of a Redlock acquire. Like the Redis backend's lock_acquire,
  but a refusal also says who holds the lock (a digest of its token, never the token), so the
  caller can tell one holder with a quorum from a split vote.
  KEYS[1] holder hash (t = token, f = fence, o = owner if given, l = lease ttl ms), expiring with the lease (PEXPIRE)
  KEYS[2] fence counter (string, never expires)
  ARGV[1] token, ARGV[2] ttl ms, ARGV[3] owner label, ARGV[4] '1' when an owner label is given
  Returns {'ok', 'granted', counter} when granted (this master's counter, incremented in the same
  step); {'ok', 'held', pttl, sha1(holder token)} when held (pttl -1 if the holder key has no TTL).
]]
if redis.call('EXISTS', KEYS[1]) == 1 then
  local holder = redis.call('HGET', KEYS[1], 't') or ''
  return { 'ok', 'held', redis.call('PTTL', KEYS[1]), redis.sha1hex(holder) }
end
local fence = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 't', ARGV[1], 'f', fence, 'l', ARGV[2])
if ARGV[4] == '1' then redis.call('HSET', KEYS[1], 'o', ARGV[3]) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return { 'ok', 'granted', fence }
