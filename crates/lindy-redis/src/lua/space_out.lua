-- ARGV: key, value, front (0|1). A front entry takes the age of the key's head (it is served
-- next and keeps the key's place among keys in a pattern take). A key with waiting takers
-- hands the entry to the oldest.
--
-- Fast path, the common case: one EXISTS rules out everything rare at once — the space is
-- closed, `K` has waiting takers, a reader or pattern taker flags that it waits, the space
-- keeps a key set — and the entry is stamped and appended: three calls.
local k = ARGV[1]
local q = P .. 'q:' .. k
if ARGV[3] ~= '1' and
    redis.call('EXISTS', P .. 'closed', P .. 'wq:' .. k, P .. 'w:' .. k, P .. 'wany', P .. 'ix') == 0 then
  redis.call('RPUSH', q, redis.call('HINCRBY', meta, 'seq', 1) .. ':0:' .. ARGV[2])
  return 1
end
--@lib
if is_closed() then
  return redis.error_reply('LINDY_CLOSED the space is closed')
end
if ARGV[3] == '1' then
  local head = redis.call('LINDEX', q, 0)
  local seq
  if head then seq = parse(head) else seq = redis.call('HINCRBY', meta, 'seq', 1) end
  local item = seq .. ':0:' .. ARGV[2]
  if hand_to_waiter(k, item) then return 1 end
  became_nonempty(k, redis.call('LPUSH', q, item))
  return 1
end
push(k, redis.call('HINCRBY', meta, 'seq', 1) .. ':0:' .. ARGV[2])
return 1
