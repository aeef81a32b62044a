-- Marks the space closed and wakes every waiter (an empty wake message means "closed").
-- ARGV[1] = 'reopen' clears the mark instead.
if ARGV[1] == 'reopen' then
  redis.call('DEL', P .. 'closed')
  return 0
end
redis.call('SET', P .. 'closed', 1)
redis.call('PUBLISH', P .. 'wake', '')
return 1
