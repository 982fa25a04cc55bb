--[[
  sem_lib: the part every sem_* pool script shares (each includes it: `--@include`): the store clock,
  the purge of expired holders and of waiters past their queue deadline, the permit count check,
  granting, queueing, and `settle`, which keeps the pool's keys alive exactly as long as someone
  is in it and wakes the queue when its head may go.
  KEYS[1] holders hash   token -> "<count>:<fence>:<0|1><owner>"
  KEYS[2] expiry zset    token -> holder's expiresAt (ms, server clock)
  KEYS[3] queue zset     token -> arrival ticket (FIFO order)     } the waiter queue,
  KEYS[4] waiters hash   token -> count asked for                  } queue_lib.lua's
  KEYS[5] deadlines zset token -> queue deadline (ms); a waiter    } order, asked and
                         refreshes it while it waits               } deadline
  KEYS[6] meta hash      p = permits, u = permits held,
                         l:<token> = the holder's TTL ms (of its grant or last extension)
  KEYS[7] fence counter  string, never expires
  ARGV[1] the pool's wake channel (in every script); the rest as each script says
  Returns nothing itself: it defines the functions the scripts call.
]]
--@include "clock_lib.lua"
--@include "fence_lib.lua"
--@include "queue_lib.lua"
local H, E, Q, W, D, M, F = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local CHANNEL = ARGV[1]
-- QUEUE is the pool's waiter queue (queue_lib.lua, the one locks use too), asking for counts.
local QUEUE = { order = Q, deadline = D, asked = W }

local function used() return tonumber(redis.call('HGET', M, 'u') or '0') end
local function permits() return tonumber(redis.call('HGET', M, 'p') or '0') end
local function fits(count) return used() + count <= permits() end
local function head() return queue_head(QUEUE) end

-- holder_count is the count `token` holds, or nil.
local function holder_count(token)
  local rec = redis.call('HGET', H, token)
  if not rec then return nil end
  return tonumber(string.match(rec, '^(%d+):'))
end

-- drop_holder returns `token`'s permits; false when it holds none.
local function drop_holder(token)
  redis.call('ZREM', E, token)
  local c = holder_count(token)
  if not c then return false end
  redis.call('HDEL', H, token)
  redis.call('HDEL', M, 'l:' .. token)
  redis.call('HINCRBY', M, 'u', -c)
  return true
end

-- purge drops holders whose lease ended and waiters past their deadline; true when the head of
-- the queue may now go (permits came back or the head changed).
local function purge(now)
  local changed = false
  for _, token in ipairs(redis.call('ZRANGEBYSCORE', E, '-inf', now)) do
    drop_holder(token)
    changed = true
  end
  if queue_drop_lapsed(QUEUE, now) then changed = true end
  return changed
end

-- claim_pool fixes the size of an unused pool, or checks it against a pool in use; it returns
-- an error reply, or nil when `want` and `count` are right.
local function claim_pool(want, count, label)
  if redis.call('HLEN', H) == 0 and redis.call('ZCARD', Q) == 0 then
    redis.call('DEL', E, W, D, M)
    redis.call('HSET', M, 'p', want, 'u', 0)
    return nil
  end
  local p = permits()
  if p == 0 then -- cannot happen while the keys expire together; repair rather than refuse
    local u = 0
    for _, rec in ipairs(redis.call('HVALS', H)) do u = u + tonumber(string.match(rec, '^(%d+):')) end
    redis.call('HSET', M, 'p', want, 'u', u)
    p = want
  end
  if p ~= want then
    return { 'invalid', string.format('%s has %d permits while in use; this handle asked for %d', label, p, want) }
  end
  if count > p then
    return { 'invalid', string.format('count %d exceeds the %d permits of %s', count, p, label) }
  end
  return nil
end

-- grant makes `token` a holder of `count` permits until now + ttl; returns fence, expiresAt.
local function grant(token, count, ttl, owner, has_owner, now)
  local fence = tonumber(next_fence(F, now))
  local rec = string.format('%d:%d:', count, fence)
  if has_owner == '1' then rec = rec .. '1' .. owner else rec = rec .. '0' end
  redis.call('HSET', H, token, rec)
  redis.call('HSET', M, 'l:' .. token, ttl)
  local expires = now + ttl
  redis.call('ZADD', E, expires, token)
  redis.call('HINCRBY', M, 'u', count)
  return fence, expires
end

-- retry_in is how long a waiter may sleep before the pool can change without a message: until
-- the first holder's expiry, or the head's queue deadline when the head is someone else (-1: no
-- such time).
local function retry_in(now, token)
  local at = nil
  local e = redis.call('ZRANGE', E, 0, 0, 'WITHSCORES')
  if e[2] then at = tonumber(e[2]) end
  local h = head()
  if h and h ~= token then
    local d = redis.call('ZSCORE', D, h)
    if d and (not at or tonumber(d) < at) then at = tonumber(d) end
  end
  if not at then return -1 end
  return math.max(0, at - now)
end

-- settle deletes an unused pool (its fence counter stays), else keeps its keys until its last
-- holder or waiter is due; when `changed`, it wakes the queue's head if it fits now. The message
-- names the head by the SHA-1 of its token ('w:<sha1 hex>'), so only that waiter polls (not all
-- N of a burst, which made N grants cost N² polls) and no token goes out on the channel.
local function settle(changed)
  if redis.call('HLEN', H) == 0 and redis.call('ZCARD', Q) == 0 then
    redis.call('DEL', H, E, Q, W, D, M)
    return
  end
  local last = 0
  local e = redis.call('ZRANGE', E, -1, -1, 'WITHSCORES')
  if e[2] then last = tonumber(e[2]) end
  local d = redis.call('ZRANGE', D, -1, -1, 'WITHSCORES')
  if d[2] and tonumber(d[2]) > last then last = tonumber(d[2]) end
  if last > 0 then
    for _, k in ipairs({ H, E, Q, W, D, M }) do redis.call('PEXPIREAT', k, last + 1) end
  end
  if changed then
    local h = head()
    if h and fits(tonumber(redis.call('HGET', W, h) or '0')) then
      redis.call('PUBLISH', CHANNEL, 'w:' .. redis.sha1hex(h))
    end
  end
end

-- begin_request starts sem_acquire and sem_poll: it reads the clock and purges, and returns the
-- time and whether the queue's head may now go (purge's answer); nil when `token` holds permits
-- here already (the pool is settled then, and the script answers 'held').
local function begin_request(token)
  local now = now_ms()
  local changed = purge(now)
  if redis.call('HEXISTS', H, token) == 1 then
    settle(changed)
    return nil
  end
  return now, changed
end
