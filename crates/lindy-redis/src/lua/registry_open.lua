-- ARGV: log_len, origin, name, ttl_ms, private (0|1)
local origin, name, ttl, private = ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5] == '1'
local now = now_ms()
local c = load(name)
if private and c then return redis.error_reply('LINDY_CH_EXISTS ' .. name) end
if not c then
  c = {state = 'o', ttl = ttl, created = now, last = now, delta = '0'}
  store(name, c)
  redis.call('ZADD', P .. 'exp', now + ttl, name)
  redis.call('INCR', P .. 'n')
  emit(origin, 'o', name, now)
  return reply(c, 'o', now)
end
if c.state == 'd' then return redis.error_reply('LINDY_CH_NOT_FOUND ' .. name) end
local kind = nil
if c.state == 'c' then kind = 'o' end
c.state = 'o'
c.ttl = ttl
if now > c.last then c.last = now end
store(name, c)
redis.call('ZADD', P .. 'exp', c.last + c.ttl, name)
if kind then emit(origin, kind, name, now) end
return reply(c, kind, now)
