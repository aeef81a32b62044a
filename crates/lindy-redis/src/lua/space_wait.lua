-- A waiting take of one key, by ticket. ARGV: phase, lease_ms, max_deliveries, key, ticket,
-- ticket_ttl_ms.
--   register: joins the key's waiters (or, if nobody waits before it, is handed the head at
--             once). Sent in the take's first poll, so takers queue in the order they are polled.
--   claim:    returns what was handed to the ticket (leased if lease_ms > 0) and leaves the
--             queue; or refreshes the ticket's deadline and returns nil; LINDY_CLOSED once the
--             space is closed and the key drained.
local phase, lease_ms, max = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local k, t, ttl = ARGV[4], ARGV[5], tonumber(ARGV[6])
local now = now_ms()
local wq = P .. 'wq:' .. k

local function join()
  redis.call('HSET', P .. 'wkey', t, k)
  redis.call('ZADD', P .. 'wexp', now + ttl, t)
  if redis.call('EXISTS', wq) == 0 then
    local item = pop(k)
    if item then
      redis.call('HSET', P .. 'hand', t, item)
      return
    end
  end
  redis.call('ZADD', wq, redis.call('HINCRBY', meta, 'ticket', 1), t)
end

if phase == 'register' then
  join()
  return 1
end

if lease_ms > 0 then reap(now, 16, max) end
local item = redis.call('HGET', P .. 'hand', t)
if item then
  redis.call('HDEL', P .. 'hand', t)
  forget(t)
  return hand_out(k, item, lease_ms, now)
end
if redis.call('HEXISTS', P .. 'wkey', t) == 0 then
  -- Presumed dead (it did not look for a whole ticket TTL) and dropped: queue again.
  join()
  item = redis.call('HGET', P .. 'hand', t)
  if item then
    redis.call('HDEL', P .. 'hand', t)
    forget(t)
    return hand_out(k, item, lease_ms, now)
  end
  return false
end
redis.call('ZADD', P .. 'wexp', now + ttl, t)
-- Entries in the list while waiters wait (none normally): the first waiter takes them.
if redis.call('ZRANGE', wq, 0, 0)[1] == t then
  item = pop(k)
  if item then
    forget(t)
    return hand_out(k, item, lease_ms, now)
  end
end
if is_closed() and redis.call('LLEN', P .. 'q:' .. k) == 0 then
  forget(t)
  return redis.error_reply('LINDY_CLOSED the space is closed')
end
return false
