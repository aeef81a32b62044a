-- ARGV: log_len, name
local name = ARGV[2]
local c = load(name)
if not c or c.state == 'd' then return redis.error_reply('LINDY_CH_NOT_FOUND ' .. name) end
if c.state == 'c' then return redis.error_reply('LINDY_CH_CLOSED ' .. name) end
local now = now_ms()
if now > c.last then
  c.last = now
  store(name, c)
  redis.call('ZADD', P .. 'exp', c.last + c.ttl, name)
end
return 1
