-- ARGV: op (ack|nack|restore|ackout), seq, deliveries, max_deliveries[, key, item for
-- restore; key, value for ackout: settle the lease and out a result in one step]
-- ack/nack check that the lease is still the caller's (same delivery): else LINDY_LEASE_LOST.
-- Returns 1 if a nack dead-lettered the entry, else 0.
local op = ARGV[1]
if op == 'restore' then
  requeue(ARGV[5], ARGV[6])
  return 0
end
local item = redis.call('HGET', P .. 'leased', ARGV[2])
if not item then return redis.error_reply('LINDY_LEASE_LOST lease not held') end
local _, deliveries = parse(item)
if deliveries ~= tonumber(ARGV[3]) then
  return redis.error_reply('LINDY_LEASE_LOST lease not held')
end
local k
k, item = unlease(ARGV[2])
if op == 'ack' then return 0 end
if op == 'ackout' then
  local seq = redis.call('HINCRBY', meta, 'seq', 1)
  local n = redis.call('RPUSH', P .. 'q:' .. ARGV[5], seq .. ':0:' .. ARGV[6])
  if n == 1 then
    redis.call('SADD', P .. 'keys', ARGV[5])
    redis.call('PUBLISH', P .. 'wake', ARGV[5])
  end
  return 0
end
return release(k, item, tonumber(ARGV[4]))
