-- ARGV: key, value, front (0|1). A front entry takes the age of the key's head (it is served
-- next and keeps the key's place among keys in a pattern take). A key with waiting takers
-- hands the entry to the oldest.
if is_closed() then
  return redis.error_reply('LINDY_CLOSED the space is closed')
end
local q = P .. 'q:' .. ARGV[1]
if ARGV[3] == '1' then
  local head = redis.call('LINDEX', q, 0)
  local seq
  if head then seq = parse(head) else seq = redis.call('HINCRBY', meta, 'seq', 1) end
  local item = seq .. ':0:' .. ARGV[2]
  if hand_to_waiter(ARGV[1], item) then return 1 end
  if redis.call('LPUSH', q, item) == 1 then
    redis.call('SADD', P .. 'keys', ARGV[1])
    notify(ARGV[1])
  end
  return 1
end
push(ARGV[1], redis.call('HINCRBY', meta, 'seq', 1) .. ':0:' .. ARGV[2])
return 1
