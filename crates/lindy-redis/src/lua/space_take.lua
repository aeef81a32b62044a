-- ARGV: lease_ms (0: plain take), max_deliveries, key...
-- With one key: takes its head. With several (a pattern take): takes the oldest head among them.
-- With none: only reports whether the space is closed. The close rule: takes drain what is
-- queued, then fail with LINDY_CLOSED.
--
-- Fast path, a plain take of one key (replies with the item alone): LPOP, plus the key-set upkeep only where the space keeps
-- one (see `indexed` in space_lib.lua).
if ARGV[1] == '0' and #ARGV == 3 then
  local q = P .. 'q:' .. ARGV[3]
  local item = redis.call('LPOP', q)
  if item then
    if redis.call('EXISTS', P .. 'ix') == 1 and redis.call('LLEN', q) == 0 then
      redis.call('SREM', P .. 'keys', ARGV[3])
    end
    return item
  end
  if redis.call('EXISTS', P .. 'closed') == 1 then
    return redis.error_reply('LINDY_CLOSED the space is closed')
  end
  return false
end
--@lib
local lease_ms = tonumber(ARGV[1])
local now = 0
if lease_ms > 0 then
  now = now_ms()
  reap(now, 16, tonumber(ARGV[2]))
end
local k = ARGV[3]
local item = nil
if #ARGV > 3 then
  local best = nil
  for i = 3, #ARGV do
    local head = redis.call('LINDEX', P .. 'q:' .. ARGV[i], 0)
    if head then
      local seq = parse(head)
      if not best or seq < best then best = seq; k = ARGV[i] end
    end
  end
  if best then item = pop(k) end
elseif k then
  item = pop(k)
end
if not item then
  if is_closed() then return redis.error_reply('LINDY_CLOSED the space is closed') end
  return false
end
return hand_out(k, item, lease_ms, now)
