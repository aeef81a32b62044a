-- ARGV: op, lease id, max_deliveries, then per op:
--   ack | nack              settle the lease (LINDY_LEASE_LOST if not held: expired, settled)
--   extend ms               the lease now ends `ms` from now
--   ackout key value        ack and out a result in one step
--   restore key item        (no lease) put back an entry a cancelled take removed
--   unwait                  (the id is a waiter's ticket) a dropped waiting take leaves
-- Returns 1 if a nack dead-lettered the entry, else 0.
local op = ARGV[1]
if op == 'unwait' then
  unwait(ARGV[2])
  return 0
end
if op == 'restore' then
  requeue(ARGV[4], ARGV[5])
  return 0
end
local id = ARGV[2]
if redis.call('ZSCORE', P .. 'leases', id) == false then
  return redis.error_reply('LINDY_LEASE_LOST lease not held')
end
if op == 'extend' then
  redis.call('ZADD', P .. 'leases', now_ms() + tonumber(ARGV[4]), id)
  return 0
end
local k, item = unlease(id)
if op == 'ack' then return 0 end
if op == 'ackout' then
  local seq = redis.call('HINCRBY', meta, 'seq', 1)
  push(ARGV[4], seq .. ':0:' .. ARGV[5])
  return 0
end
return release(k, item, tonumber(ARGV[3]))
