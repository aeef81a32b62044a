-- Shared helpers of the space scripts, inserted at a script's `--@lib` line (after its fast
-- path, so a call that takes the fast path never builds these closures) or after the head.

-- An item is "seq:deliveries:value": seq orders entries by age across the space.
local function parse(item)
  local a = string.find(item, ':', 1, true)
  local b = string.find(item, ':', a + 1, true)
  return tonumber(string.sub(item, 1, a - 1)), tonumber(string.sub(item, a + 1, b - 1)), b
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- A key went from empty to non-empty: wake the readers of `k` and the pattern takers, if any
-- wait (they leave short-lived flags `w:K` / `wany`; a PUBLISH per out would cost every
-- subscriber a message). Waiting takers are told by hand-off instead.
local function notify(k)
  if redis.call('EXISTS', P .. 'w:' .. k, P .. 'wany') > 0 then
    redis.call('PUBLISH', P .. 'wake', k)
  end
end

local function is_closed()
  return redis.call('EXISTS', P .. 'closed') == 1
end

-- Whether the space keeps its key set (`keys`, listed by pattern takes): only once a pattern
-- take or `keys()` asked for it (`ix` = building | ready), so plain spaces skip the upkeep.
local function indexed()
  return redis.call('EXISTS', P .. 'ix') == 1
end

-- Key `k` went from empty to non-empty (`len` is its new length).
local function became_nonempty(k, len)
  if len ~= 1 then return end
  if indexed() then redis.call('SADD', P .. 'keys', k) end
  notify(k)
end


-- Waiting takers of a key queue in arrival order (zset `wq:K` scored by arrival); each has a
-- deadline (`wexp`), refreshed whenever it looks, after which a silent waiter is presumed dead.
-- An entry for a key with waiters goes straight to the oldest live one (`hand[ticket]`), like
-- the local space's direct hand-off: waiting takers are served in arrival order.
local function forget(t)
  local k = redis.call('HGET', P .. 'wkey', t)
  if k then redis.call('ZREM', P .. 'wq:' .. k, t) end
  redis.call('ZREM', P .. 'wexp', t)
  redis.call('HDEL', P .. 'wkey', t)
end

-- Hands `item` to the oldest live waiter of `k`; false if there is none.
local function hand_to_waiter(k, item)
  local wq = P .. 'wq:' .. k
  if redis.call('EXISTS', wq) == 0 then return false end
  local now = now_ms()
  while true do
    local first = redis.call('ZRANGE', wq, 0, 0)[1]
    if not first then return false end
    redis.call('ZREM', wq, first)
    local exp = tonumber(redis.call('ZSCORE', P .. 'wexp', first))
    if exp and exp >= now then
      redis.call('HSET', P .. 'hand', first, item)
      redis.call('PUBLISH', P .. 'wake', k)
      return true
    end
    forget(first)
  end
end

-- Appends `item` to key `k` (a new entry), waking waiters on empty -> non-empty.
local function push(k, item)
  if hand_to_waiter(k, item) then return end
  became_nonempty(k, redis.call('RPUSH', P .. 'q:' .. k, item))
end

-- Puts `item` back into key `k`'s list at its age (usually the front) and wakes waiters.
local function requeue(k, item)
  if hand_to_waiter(k, item) then return end
  local q = P .. 'q:' .. k
  local seq = parse(item)
  local head = redis.call('LINDEX', q, 0)
  if not head or parse(head) >= seq then
    became_nonempty(k, redis.call('LPUSH', q, item))
    return
  end
  local from = 0
  while true do
    local chunk = redis.call('LRANGE', q, from, from + 63)
    if #chunk == 0 then break end
    for i = 1, #chunk do
      if parse(chunk[i]) >= seq then
        redis.call('LINSERT', q, 'BEFORE', chunk[i], item)
        return
      end
    end
    from = from + 64
  end
  redis.call('RPUSH', q, item)
end

-- Settles lease `id`: removes it and returns its key and item, or nil if not held.
local function unlease(id)
  local item = redis.call('HGET', P .. 'leased', id)
  if not item then return nil end
  local k = redis.call('HGET', P .. 'lkey', id)
  redis.call('ZREM', P .. 'leases', id)
  redis.call('HDEL', P .. 'leased', id)
  redis.call('HDEL', P .. 'lkey', id)
  return k, item
end

-- A lease that ended without an ack: back to its key, or dead-lettered after `max` deliveries
-- (0: never) — into the space's dead-letter key if one is set, else the `dead` list.
-- Returns 1 if dead-lettered.
local function release(k, item, max)
  local _, deliveries = parse(item)
  if max > 0 and deliveries >= max then
    local dk = redis.call('HGET', meta, 'deadkey')
    if dk then
      push(dk, item)
    else
      redis.call('RPUSH', P .. 'dead', string.len(k) .. ':' .. k .. item)
    end
    return 1
  end
  requeue(k, item)
  return 0
end

-- Requeues up to `limit` leases whose deadline has passed (server clock). Returns the count.
-- A waiter that is gone (dropped, or presumed dead): whatever was handed to it goes back at its
-- age (to the next waiter, or the list).
local function unwait(t)
  local item = redis.call('HGET', P .. 'hand', t)
  local k = redis.call('HGET', P .. 'wkey', t)
  forget(t)
  if item then
    redis.call('HDEL', P .. 'hand', t)
    if k then requeue(k, item) end
  end
end

local function reap(now, limit, max)
  local due = redis.call('ZRANGEBYSCORE', P .. 'leases', '-inf', now, 'LIMIT', 0, limit)
  for i = 1, #due do
    local k, item = unlease(due[i])
    if k then release(k, item, max) end
  end
  local gone = redis.call('ZRANGEBYSCORE', P .. 'wexp', '-inf', now - 1, 'LIMIT', 0, limit)
  for i = 1, #gone do unwait(gone[i]) end
  return #due
end

-- Pops the head of key `k`: returns the item or nil.
local function pop(k)
  local q = P .. 'q:' .. k
  local item = redis.call('LPOP', q)
  if item and indexed() and redis.call('LLEN', q) == 0 then
    redis.call('SREM', P .. 'keys', k)
  end
  return item
end

-- Hands out `item` of key `k`: as is (plain take), or under a new lease for `lease_ms`.
local function hand_out(k, item, lease_ms, now)
  if lease_ms <= 0 then return {k, item} end
  local seq, deliveries, b = parse(item)
  item = seq .. ':' .. (deliveries + 1) .. string.sub(item, b)
  local id = redis.call('HINCRBY', meta, 'lease', 1)
  local deadline = now + lease_ms
  redis.call('ZADD', P .. 'leases', deadline, id)
  redis.call('HSET', P .. 'leased', id, item)
  redis.call('HSET', P .. 'lkey', id, k)
  return {k, item, deadline, id}
end
