-- KEYS[1]: the key's stream. ARGV: prefix, key, value.
-- The consumer group is made with the stream. A waiting puller leaves a short-lived flag; only
-- then is a wake-up published (a PUBLISH per push would cost every subscriber a write).
local s, P, key = KEYS[1], ARGV[1], ARGV[2]
if redis.call('EXISTS', P .. 'closed') == 1 then
  return redis.error_reply('LINDY_CLOSED the queue is closed')
end
if redis.call('EXISTS', s) == 0 then
  redis.call('XGROUP', 'CREATE', s, 'lindy', '$', 'MKSTREAM')
end
local id = redis.call('XADD', s, '*', 'v', ARGV[3])
if redis.call('EXISTS', P .. 'w:' .. key) == 1 then
  redis.call('PUBLISH', P .. 'wake', key)
end
return id
