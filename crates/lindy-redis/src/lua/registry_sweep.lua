-- ARGV: log_len, origin, limit. Expires what is due at the server's clock, in deadline order;
-- returns {now, more (0|1), kind1, name1, kind2, name2, ...}. Only due records are touched.
local origin, limit = ARGV[2], tonumber(ARGV[3])
local now = now_ms()
local due = redis.call('ZRANGEBYSCORE', P .. 'exp', '-inf', now, 'LIMIT', 0, limit)
local out = {now, 0}
if #due == limit then out[2] = 1 end
for i = 1, #due do
  local name = due[i]
  local c = load(name)
  redis.call('ZREM', P .. 'exp', name)
  if c and c.state == 'o' then
    if string.sub(name, 1, 8) == 'private:' then
      redis.call('HDEL', ch, name)
      redis.call('DECR', P .. 'n')
      emit(origin, 'd', name, now)
      out[#out + 1] = 'd'
    else
      c.state = 'c'
      store(name, c)
      emit(origin, 'c', name, now)
      out[#out + 1] = 'c'
    end
    out[#out + 1] = name
  elseif c and c.state == 'd' then
    redis.call('HDEL', ch, name) -- a tombstone's time is up: silent
  end
end
return out
