-- ARGV: key, value
if redis.call('HEXISTS', meta, 'closed') == 1 then
  return redis.error_reply('LINDY_CLOSED the space is closed')
end
local seq = redis.call('HINCRBY', meta, 'seq', 1)
local n = redis.call('RPUSH', P .. 'q:' .. ARGV[1], seq .. ':0:' .. ARGV[2])
if n == 1 then
  redis.call('SADD', P .. 'keys', ARGV[1])
  redis.call('PUBLISH', P .. 'wake', ARGV[1])
end
return n
