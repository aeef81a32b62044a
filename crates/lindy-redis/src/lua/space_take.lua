-- ARGV: waiting (0|1), lease_ms (0: plain take), max_deliveries, key...
-- With one key: takes its head. With several (a pattern take): takes the oldest head among them.
-- A waiting take on a closed space fails (LINDY_CLOSED); a non-waiting one drains.
if ARGV[1] == '1' and redis.call('HEXISTS', meta, 'closed') == 1 then
  return redis.error_reply('LINDY_CLOSED the space is closed')
end
local lease_ms = tonumber(ARGV[2])
local now = 0
if lease_ms > 0 then
  now = now_ms()
  reap(now, 16, tonumber(ARGV[3]))
end
local k = ARGV[4]
if #ARGV > 4 then
  local best = nil
  for i = 4, #ARGV do
    local head = redis.call('LINDEX', P .. 'q:' .. ARGV[i], 0)
    if head then
      local seq = parse(head)
      if not best or seq < best then best = seq; k = ARGV[i] end
    end
  end
  if not best then return false end
end
local item = pop(k)
if not item then return false end
return hand_out(k, item, lease_ms, now)
