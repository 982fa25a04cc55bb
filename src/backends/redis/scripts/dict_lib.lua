--[[
  dict_lib: the part every dict_* script but dict_get shares (each includes it: `--@include`).

  KEYS[1] entries  hash   key -> "<version>:<expiresAt or empty>:<json value>"
  KEYS[2] index    zset   key (score 0): the live keys in byte order, for prefix listing
  KEYS[3] ttl      zset   key -> expiresAt (ms since the epoch, by this server's clock)
  KEYS[4] meta     hash   v -> the dict's revision; h -> its history id (set with version 1)
  KEYS[5] fences   hash   lock name -> highest fence accepted by this dict
  KEYS[6] changes  stream one entry per version, id "<version>-0"; fields are one pair per change:
                   "s<key>" -> value (set), "t<key>" -> value (set with a TTL),
                   "d<key>" -> "" (delete), "e<key>" -> "" (expire), "D" -> keys joined by NUL (clear)
  ARGV[1] history limit (stream MAXLEN)
  ARGV[2] "~" (approximate trim) or "=" (exact trim)
  ARGV[#ARGV - 1] (next to last) the fence floor if this dict lost its fence table ('' for none:
                  see check_fence)
  ARGV[#ARGV] (the last argument of every dict script) purge limit K (1..1000)

  Every script but dict_get calls purge() first: it deletes at most K entries whose expiresAt <= now
  (earliest first), plus the due ones among the keys the script is about to touch, all under one
  new version with one "e" change each; so no call does unbounded work, and the touched keys'
  expiries are in the stream before the script's own change. Entries still due after that are
  treated as absent by every script (is_live), until a later call or the sweep purges them.
  Replies are arrays whose first element is a status: "ok", or one of "conflict", "fence",
  "type", "overflow" followed by details (see errors.ts).
]]
--@include "clock_lib.lua"
local K_ENTRIES, K_INDEX, K_TTL, K_META, K_FENCES, K_CHANGES = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local HISTORY, TRIM = ARGV[1], ARGV[2]
local FLOOR_IF_LOST, PURGE_LIMIT = tonumber(ARGV[#ARGV - 1]), tonumber(ARGV[#ARGV])

local function int(n)
  return string.format('%d', n)
end

-- now is this server's clock in ms (now_ms), read on first use only: a call that involves no
-- TTL never needs it.
local NOW
local function now()
  if not NOW then NOW = now_ms() end
  return NOW
end

-- ttl_in_use tells whether the dict's ttl zset exists (read once, set when put adds to it).
-- Every entry with an expiry is in that zset, so when it is absent no entry can be due and the
-- purge and the ttl bookkeeping of put and remove are skipped: a dict that never uses TTLs pays
-- one EXISTS instead of ZRANGEBYSCORE + ZSCORE per touched key + ZREM per write.
local TTL_IN_USE
local function ttl_in_use()
  if TTL_IN_USE == nil then TTL_IN_USE = redis.call('EXISTS', K_TTL) == 1 end
  return TTL_IN_USE
end

-- unpack_entry splits a stored entry into version, expiresAt ('' when none) and value text.
local function unpack_entry(packed)
  local a = string.find(packed, ':', 1, true)
  local b = string.find(packed, ':', a + 1, true)
  return tonumber(string.sub(packed, 1, a - 1)), string.sub(packed, a + 1, b - 1), string.sub(packed, b + 1)
end

-- is_live tells whether a stored entry (packed, or false) is present and not past its expiry.
local function is_live(packed)
  if not packed then return false end
  local a = string.find(packed, ':', 1, true)
  local b = string.find(packed, ':', a + 1, true)
  return b == a + 1 or tonumber(string.sub(packed, a + 1, b - 1)) > now()
end

local function version_of(key)
  local packed = redis.call('HGET', K_ENTRIES, key)
  if not is_live(packed) then return 0 end
  local a = string.find(packed, ':', 1, true)
  return tonumber(string.sub(packed, 1, a - 1))
end

-- new_history names a history that starts now (server TIME, µs): meta h, lost with the meta hash.
local function new_history()
  local t = redis.call('TIME')
  local h = 'r' .. t[1] .. string.format('%06d', tonumber(t[2]))
  redis.call('HSET', K_META, 'h', h)
  return h
end

-- next_version takes the dict's next revision and records its changes (flat field/value list).
-- It also publishes the version on the pub/sub channel named like the stream: watchers listen
-- there on one shared connection and then read the stream (watch.ts); the message only wakes
-- them, so a script that makes many versions (dict_each) sets PUBLISH_LATER and publishes its
-- last version once, at its end (publish_pending).
-- Version 1 starts a history, so a dict Redis lost (meta gone) gets a new history id.
local PUBLISH_LATER, PENDING_V = false, nil
local function next_version(fields)
  local v = redis.call('HINCRBY', K_META, 'v', 1)
  if v == 1 then new_history() end
  redis.call('XADD', K_CHANGES, 'MAXLEN', TRIM, HISTORY, int(v) .. '-0', unpack(fields))
  if PUBLISH_LATER then
    PENDING_V = v
  else
    redis.call('PUBLISH', K_CHANGES, v)
  end
  return v
end

local function publish_pending()
  if PENDING_V then redis.call('PUBLISH', K_CHANGES, PENDING_V) end
end

local function current_version()
  return tonumber(redis.call('HGET', K_META, 'v') or '0')
end

-- history_id is the dict's history id ('' for a dict never written); a dict written before
-- history ids existed gets one now.
local function history_id()
  local meta = redis.call('HMGET', K_META, 'v', 'h')
  if meta[2] then return meta[2] end
  if tonumber(meta[1] or '0') > 0 then return new_history() end
  return ''
end

-- put stores an entry; expiresAt is '' for none (ttl zset updated to match).
local function put(key, value, version, expires_at)
  if expires_at == '' then
    if ttl_in_use() then redis.call('ZREM', K_TTL, key) end
  else
    redis.call('ZADD', K_TTL, expires_at, key)
    TTL_IN_USE = true
  end
  if redis.call('HSET', K_ENTRIES, key, int(version) .. ':' .. expires_at .. ':' .. value) == 1 then
    redis.call('ZADD', K_INDEX, 0, key)
  end
end

local function remove(key)
  redis.call('HDEL', K_ENTRIES, key)
  redis.call('ZREM', K_INDEX, key)
  if ttl_in_use() then redis.call('ZREM', K_TTL, key) end
end

local function expiry_of(ttl)
  if ttl == '' then return '' end
  return int(now() + tonumber(ttl))
end

-- purge expires at most PURGE_LIMIT due entries, plus the due ones among `touched` (the keys the
-- caller reads or writes next), under one version; it does nothing when none is due.
local function purge(touched)
  if not ttl_in_use() then return end
  local due = redis.call('ZRANGEBYSCORE', K_TTL, '-inf', now(), 'LIMIT', 0, PURGE_LIMIT)
  local seen = {}
  for _, key in ipairs(due) do seen[key] = true end
  for _, key in ipairs(touched or {}) do
    local at = redis.call('ZSCORE', K_TTL, key)
    if at and not seen[key] and tonumber(at) <= now() then
      due[#due + 1] = key
      seen[key] = true
    end
  end
  if #due == 0 then return end
  local fields = {}
  for _, key in ipairs(due) do
    remove(key)
    fields[#fields + 1] = 'e' .. key
    fields[#fields + 1] = ''
  end
  next_version(fields)
end

-- check_fence returns an error reply when the fenced write must be refused, else nil.
-- ARGV[3] fence scope ('' for an unfenced write), ARGV[4] fence, ARGV[5] token ('' for no
-- ownership guard). Outside a cluster, KEYS[7] is the scope's issued-fence counter ('' when the
-- caller checked issuance itself) and KEYS[8] the lock's holder key when a token is given; in a
-- cluster neither is passed (other slots) and the client checks issuance before the write.
-- A fence above the counter was never issued (forged): refused before it can be recorded.
-- FLOOR_IF_LOST, given by a client that checked issuance itself when the lock's store records
-- that this dict was sent the scope's fences before (fence_issued.lua): with no fence on record
-- here the dict's table was lost (its master restarted empty), so the highest fence it accepted
-- is unknown but at most the counter the client read, and a fence below that is refused.
local FENCE_LOCK, FENCE, FENCE_TOKEN = ARGV[3], tonumber(ARGV[4]), ARGV[5]
local function check_fence()
  if FENCE_LOCK == '' then return nil end
  if KEYS[7] and KEYS[7] ~= '' and FENCE > tonumber(redis.call('GET', KEYS[7]) or '0') then
    return { 'fence', FENCE_LOCK, ARGV[4], 'unissued_fence' }
  end
  local highest = tonumber(redis.call('HGET', K_FENCES, FENCE_LOCK) or FLOOR_IF_LOST or '0')
  if FENCE < highest then return { 'fence', FENCE_LOCK, ARGV[4], 'newer_fence' } end
  if FENCE_TOKEN ~= '' and redis.call('HGET', KEYS[8], 't') ~= FENCE_TOKEN then
    return { 'fence', FENCE_LOCK, ARGV[4], 'not_holder' }
  end
  return nil
end

-- read_for_write starts a single-key fenced write (dict_pop, dict_set_if_absent): the purge step
-- for `key`, then the fence check. Returns the refusal reply, or nil and the key's stored entry
-- (packed, or false when absent).
local function read_for_write(key)
  purge({ key })
  local refused = check_fence()
  if refused then return refused, false end
  return nil, redis.call('HGET', K_ENTRIES, key)
end

-- record_fence remembers the fence of a write that changed the dict.
local function record_fence()
  if FENCE_LOCK == '' then return end
  local highest = tonumber(redis.call('HGET', K_FENCES, FENCE_LOCK) or '0')
  if FENCE > highest then redis.call('HSET', K_FENCES, FENCE_LOCK, ARGV[4]) end
end

-- write_ops applies set/delete ops ({kind 's'|'d', key, if_version ('' for none), ttl ('' for
-- none), value}), all or nothing, as one version, after purge(); the body of dict_write, shared
-- with dict_each. Returns {'ok', version, changed} or a 'conflict' / 'fence' reply.
local function write_ops(ops)
  for _, op in ipairs(ops) do
    if op[3] ~= '' then
      local actual = version_of(op[2])
      if actual ~= tonumber(op[3]) then return { 'conflict', op[2], op[3], int(actual) } end
    end
  end
  local refused = check_fence()
  if refused then return refused end

  local fields = {}
  for _, op in ipairs(ops) do
    local kind, key = op[1], op[2]
    if kind == 's' then
      if op[4] == '' then
        fields[#fields + 1] = 's' .. key
      else
        fields[#fields + 1] = 't' .. key
      end
      fields[#fields + 1] = op[5]
    elseif redis.call('HEXISTS', K_ENTRIES, key) == 1 then
      fields[#fields + 1] = 'd' .. key
      fields[#fields + 1] = ''
    end
  end
  if #fields == 0 then return { 'ok', current_version(), 0 } end

  local v = next_version(fields)
  for _, op in ipairs(ops) do
    if op[1] == 's' then
      put(op[2], op[5], v, expiry_of(op[4]))
    else
      remove(op[2])
    end
  end
  record_fence()
  return { 'ok', v, #fields / 2 }
end

-- json_number prints a double with the fewest digits (15 to 17) that read back as the same double.
local function json_number(x)
  if x == 0 then return '0' end
  if x == math.floor(x) and math.abs(x) < 1e21 then return string.format('%.0f', x) end
  for digits = 15, 17 do
    local s = string.format('%.' .. digits .. 'g', x)
    if tonumber(s) == x then return s end
  end
  return string.format('%.17g', x)
end

-- incr_op adds `amount` (text) to the number at `key` after purge() and check_fence(); the body
-- of dict_incr, shared with dict_each. Returns {'ok', version, text} or a 'type' / 'overflow' reply.
local function incr_op(key, amount)
  local current, expires_at = 0, ''
  local packed = redis.call('HGET', K_ENTRIES, key)
  if packed then
    local _, exp, text = unpack_entry(packed)
    local c = string.byte(text, 1)
    if not (c == 45 or (c ~= nil and c >= 48 and c <= 57)) then -- a JSON number starts with - or a digit
      local kinds = { [34] = 'string', [123] = 'object', [91] = 'array', [116] = 'boolean', [102] = 'boolean', [110] = 'null' }
      return { 'type', key, kinds[c] or 'unknown' }
    end
    current, expires_at = tonumber(text), exp
  end

  local sum = current + tonumber(amount)
  if sum ~= sum or sum == math.huge or sum == -math.huge then return { 'overflow', key } end

  local text = json_number(sum)
  local field = 's' .. key
  if expires_at ~= '' then field = 't' .. key end
  local v = next_version({ field, text })
  put(key, text, v, expires_at)
  record_fence()
  return { 'ok', v, text }
end
