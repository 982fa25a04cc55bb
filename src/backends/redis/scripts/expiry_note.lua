--[[
  expiry_note: a write just stored an entry with a TTL in dict ARGV[1], due at about ARGV[2] (ms
  since the epoch): make sure the sweep index (expiry-sweep.ts) will look at that dict by then.
  KEYS[1] the index zset: dict name -> when to look at it next (a negative score -T: a sweeper
  has claimed it until T). The score is only lowered, or replaced when it is a claim, so the
  sweeper that holds the claim sees that the dict changed and keeps it in the index.
  Returns {'ok'}.
]]
local at = tonumber(ARGV[2])
local current = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]) or '')
if current == nil or current < 0 or at < current then
  redis.call('ZADD', KEYS[1], at, ARGV[1])
end
return { 'ok' }
