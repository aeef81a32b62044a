-- KEYS[1]: the key's stream. ARGV: op (ack|nack), id, consumer, deliveries.
-- The delivery must still be this consumer's (same owner, same delivery count), else
-- LINDY_LEASE_LOST: another consumer claimed it after the visibility timeout.
local s, id, consumer, deliveries = KEYS[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local p = redis.call('XPENDING', s, 'lindy', id, id, 1)
local e = p[1]
if not e or e[2] ~= consumer or tonumber(e[4]) ~= deliveries then
  return redis.error_reply('LINDY_LEASE_LOST delivery not held')
end
if ARGV[1] == 'ack' then
  redis.call('XACK', s, 'lindy', id)
  redis.call('XDEL', s, id)
else
  -- Make it claimable at once: idle "forever", still counted as delivered.
  redis.call('XCLAIM', s, 'lindy', consumer, 0, id, 'IDLE', 1000000000000, 'JUSTID')
end
return 1
