-- ARGV: log_len, origin, name. A deleted record stays as a tombstone for one TTL.
local origin, name = ARGV[2], ARGV[3]
local c = load(name)
if not c then return redis.error_reply('LINDY_CH_NOT_FOUND ' .. name) end
if c.state == 'd' then return 0 end
local now = now_ms()
c.state = 'd'
c.delta = '0'
c.last = now
store(name, c)
redis.call('ZADD', P .. 'exp', now + c.ttl, name)
redis.call('DECR', P .. 'n')
emit(origin, 'd', name, now)
return now
