-- Marks the space closed and wakes every waiter (an empty wake message means "closed").
redis.call('HSET', meta, 'closed', 1)
redis.call('PUBLISH', P .. 'wake', '')
return 1
