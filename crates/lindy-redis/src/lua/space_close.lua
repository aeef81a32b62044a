-- Marks the space closed and wakes every waiter (an empty wake message means "closed").
-- ARGV[1] = 'reopen' clears the mark instead.
if ARGV[1] == 'reopen' then
  redis.call('HDEL', meta, 'closed')
  return 0
end
redis.call('HSET', meta, 'closed', 1)
redis.call('PUBLISH', P .. 'wake', '')
return 1
