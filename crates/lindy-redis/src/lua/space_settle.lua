-- ARGV: op (ack|nack|restore), seq, deliveries, max_deliveries[, key, item for restore]
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
return release(k, item, tonumber(ARGV[4]))
