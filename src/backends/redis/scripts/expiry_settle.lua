--[[
  expiry_settle: a sweeper purged dict ARGV[1] under claim ARGV[2] and read its next expiry
  ARGV[3] ('' when it has no entry with a TTL left). When the claim is still in place, the dict's
  score becomes that expiry (or the dict leaves the index); when a write noted an expiry since
  (expiry_note.lua), the score is only lowered, never removed.
  KEYS[1] the sweep index zset.
  Returns {'ok'}.
]]
local current = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]) or '')
local next_at = tonumber(ARGV[3])
if current ~= nil and current == tonumber(ARGV[2]) then
  if next_at == nil then
    redis.call('ZREM', KEYS[1], ARGV[1])
  else
    redis.call('ZADD', KEYS[1], next_at, ARGV[1])
  end
elseif next_at ~= nil and current ~= nil and current >= 0 and next_at < current then
  redis.call('ZADD', KEYS[1], next_at, ARGV[1])
end
return { 'ok' }
