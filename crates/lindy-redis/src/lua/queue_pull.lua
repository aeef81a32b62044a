-- KEYS[1]: the key's stream. ARGV: prefix, key, consumer, visibility_ms, max_deliveries,
-- leased (0|1). Returns nil or {id, value, deliveries}.
-- Entries whose visibility timeout ran out (their consumer died or nacked) come first, claimed
-- with XAUTOCLAIM, so the oldest pending entry is served before new ones; an entry that was
-- delivered max_deliveries times is moved to the dead letters instead. A plain pull acks and
-- deletes what it hands out (at-most-once); a leased one leaves it pending for this consumer.
local s, P, key, consumer = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
local vis, max, leased = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6] == '1'

-- Nothing to serve: nil, or LINDY_CLOSED once the queue is closed (the close rule: pulls
-- drain what is queued, then fail).
local function nothing()
  if redis.call('EXISTS', P .. 'closed') == 1 then
    return redis.error_reply('LINDY_CLOSED the queue is closed')
  end
  return false
end

if redis.call('EXISTS', s) == 0 then return nothing() end

local function done(id)
  redis.call('XACK', s, 'lindy', id)
  redis.call('XDEL', s, id)
end

local function field(fields, name)
  for i = 1, #fields, 2 do
    if fields[i] == name then return fields[i + 1] end
  end
  return nil
end

local function serve(id, fields, deliveries)
  if not leased then done(id) end
  return {id, field(fields, 'v'), deliveries}
end

for _ = 1, 16 do
  local claimed = redis.call('XAUTOCLAIM', s, 'lindy', consumer, vis, '0-0', 'COUNT', 1)
  local e = claimed[2][1]
  if not e then break end
  local id, fields = e[1], e[2]
  local p = redis.call('XPENDING', s, 'lindy', id, id, 1)
  local deliveries = tonumber(p[1][4])
  if fields == nil or fields == false then
    -- Deleted while pending: nothing to serve.
    redis.call('XACK', s, 'lindy', id)
  elseif max > 0 and deliveries > max then
    redis.call('XADD', P .. 'dead', '*', 'k', key, 'v', field(fields, 'v'), 'd', deliveries - 1)
    done(id)
  else
    return serve(id, fields, deliveries)
  end
end

local r = redis.call('XREADGROUP', 'GROUP', 'lindy', consumer, 'COUNT', 1, 'STREAMS', s, '>')
if not r then return nothing() end
local e = r[1][2][1]
return serve(e[1], e[2], 1)
