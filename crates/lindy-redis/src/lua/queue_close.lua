-- KEYS[1]: the queue's `closed` key. ARGV: prefix. Closes the queue for every process and
-- wakes every waiting puller (an empty wake message).
redis.call('SET', KEYS[1], 1)
redis.call('PUBLISH', ARGV[1] .. 'wake', '')
return 1
