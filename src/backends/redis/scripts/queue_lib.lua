--[[
  queue_lib: the FIFO waiter queue, one algorithm for locks and pools (included by lock_acquire,
  lock_release and lock_leave, and by sem_lib.lua for every pool script). A lock is the
  one-permit case: its waiters ask for the whole lock, so its queue has no `asked` hash.
  A queue is a Lua table of its caller's keys:
    order    zset  waiter id -> arrival ticket (FIFO: the tail's ticket + 1)
    deadline zset  waiter id -> time (ms, server clock) by which the waiter must ask again, or
                   lose its place: a waiter that crashed cannot block the queue
    asked    hash  waiter id -> permits asked for (pools only; nil for a lock)
  KEYS[1..]: none of its own (the caller's keys come in the table); no ARGV.
  Returns: queue_head(q) the first waiter id (nil when empty); queue_leave(q, id) true when id was
  queued; queue_drop_lapsed(q, now) true when dropping the waiters past their deadline changed
  the head; queue_next(q, now) the first waiter id after that drop (nil when none is left);
  queue_join(q, id, deadline, asked) nothing (it queues id or renews its deadline).
]]
local function queue_head(q)
  return redis.call('ZRANGE', q.order, 0, 0)[1]
end

local function queue_leave(q, id)
  if q.asked then redis.call('HDEL', q.asked, id) end
  redis.call('ZREM', q.deadline, id)
  return redis.call('ZREM', q.order, id) == 1
end

local function queue_drop_lapsed(q, now)
  local lapsed = redis.call('ZRANGEBYSCORE', q.deadline, '-inf', now)
  if #lapsed == 0 then return false end
  local first = queue_head(q)
  for _, id in ipairs(lapsed) do queue_leave(q, id) end
  return queue_head(q) ~= first
end

local function queue_next(q, now)
  queue_drop_lapsed(q, now)
  return queue_head(q)
end

local function queue_join(q, id, deadline, asked)
  if not redis.call('ZSCORE', q.order, id) then
    local last = redis.call('ZRANGE', q.order, -1, -1, 'WITHSCORES')
    redis.call('ZADD', q.order, (tonumber(last[2]) or 0) + 1, id)
    if q.asked then redis.call('HSET', q.asked, id, asked) end
  end
  redis.call('ZADD', q.deadline, deadline, id)
end
