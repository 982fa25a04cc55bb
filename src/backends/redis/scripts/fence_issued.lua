--[[
  fence_issued: what a client that checks issuance itself (a cluster, a composed client: the
  dict's script cannot see the counter) reads before a fenced write of dict ARGV[1], and the
  record that this dict accepts writes fenced by the scope, kept beside the scope's counter so it
  outlives the dict's fence table (a dict's master restarted empty keeps the lock's master intact).
  KEYS[1] counter  string the scope's issued-fence counter
  KEYS[2] dicts    set    names of the dicts that were sent a write fenced by this scope
  ARGV[1] dict name, ARGV[2] the write's fence, ARGV[3] most dicts recorded per scope
  Returns {'ok', issued (text), known (1|0), added (1|0)}: known when the dict was recorded before
  (or the set is full: every dict is then treated as known), so that a dict with no fence for the
  scope has lost its table and must refuse fences below `issued`; added when this call recorded
  it. A fence above `issued` is not recorded (it is refused as unissued).
]]
local issued = redis.call('GET', KEYS[1]) or '0'
if tonumber(ARGV[2]) > tonumber(issued) then return { 'ok', issued, 0, 0 } end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return { 'ok', issued, 1, 0 } end
if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[3]) then return { 'ok', issued, 1, 0 } end
redis.call('SADD', KEYS[2], ARGV[1])
return { 'ok', issued, 0, 1 }
